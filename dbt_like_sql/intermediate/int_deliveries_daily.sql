-- description: One row per facility, dataset and service day with at least one delivered file,
--   read or not (bronze_files): file counts, first and last export, and how late files arrived.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB) of the landing folder.
--   dataset: encounters, prescriptions, referrals, appointments, imaging_studies or checkins. A
--     QĐ 130 XML dossier (hoso__…xml) is the delivery of every dossier dataset the registry
--     asks of its facility (encounters, prescriptions, referrals, appointments).
--   files: Files delivered for the day (parts and corrections included).
--   files_failed: Files that could not be read (status error; quarantined whole).
--   records_in_files: Records read from the files (a dossier's records of every dataset it
--     carries, on each of its datasets' rows).
--   first_export_ts: Export time of the earliest file, local time.
--   last_export_ts: Export time of the latest file (the last correction), local time.
--   first_format: Delivery format of the earliest file.
--   formats: Delivery formats seen that day, sorted.
--   first_lag_hours: Hours from the end of the service day to the first file's export.
--   lag_p50_hours: Median over the day's files of the hours from the day's end to export.
--   lag_p95_hours: 95th percentile (linear interpolation) over the day's files of that lag.

with bronze_files as (

    select * from lake.bronze_files
    where service_date between getvariable('start_date') and getvariable('end_date')

),

facilities as (

    select facility_code, datasets from lake.facilities

),

files as (

    select
        service_date,
        bronze_files.facility_code,
        -- One dossier file feeds several datasets: it is a delivery of each.
        unnest(
            case
                when bronze_files.dataset = 'hoso'
                    then coalesce(
                        nullif(
                            list_filter(
                                facilities.datasets,
                                lambda d: d in ('encounters', 'prescriptions', 'referrals', 'appointments')
                            ),
                            []
                        ),
                        ['hoso']
                    )
                else [bronze_files.dataset]
            end
        ) as dataset,
        format,
        status,
        n_records,
        export_ts,
        date_diff('second', cast(service_date + 1 as timestamp), export_ts) / 3600.0 as lag_hours
    from bronze_files
    left join facilities on facilities.facility_code = bronze_files.facility_code
    -- A file whose path names no facility or dataset cannot count for anyone.
    where bronze_files.facility_code is not null and bronze_files.dataset is not null

),

final as (

    select
        service_date,
        facility_code,
        dataset,
        count(*) as files,
        count(*) filter (where status = 'error') as files_failed,
        coalesce(sum(n_records), 0) as records_in_files,
        min(export_ts) as first_export_ts,
        max(export_ts) as last_export_ts,
        arg_min(format, export_ts) as first_format,
        list_sort(list_distinct(list(format))) as formats,
        min(lag_hours) as first_lag_hours,
        quantile_cont(lag_hours, 0.5) as lag_p50_hours,
        quantile_cont(lag_hours, 0.95) as lag_p95_hours
    from files
    group by service_date, facility_code, dataset

)

select * from final
