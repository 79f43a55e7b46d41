-- description: Freshness per service day, facility type and dataset: minutes from a file's
--   arrival in landing to its records in silver and to the next marts refresh of its day (p50,
--   p95), and the phase-3 measure on the encounters rows: facilities whose earliest encounter of
--   the day arrived within realtime_minutes (sla_settings) of the care starting.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_type: Registry facility type; unregistered for a code not in the registry.
--   dataset: Dataset of the files (encounters, prescriptions, ..., hoso for an XML dossier).
--   files: Files that arrived and reached silver.
--   files_in_marts: Of those, files a marts refresh of their day has followed.
--   to_silver_p50_minutes: Median minutes from arrival (bronze_files.arrived_at) to silver
--     (bronze_files.silver_at).
--   to_silver_p95_minutes: 95th percentile of those minutes.
--   to_marts_p50_minutes: Median minutes from arrival to the first marts refresh of the day at
--     or after the file reached silver (lake.marts_refreshed); NULL before any refresh.
--   to_marts_p95_minutes: 95th percentile of those minutes.
--   facilities_with_care: On encounters rows, facilities of the type with an accepted encounter
--     that day (earliest encounter start known); NULL on other datasets.
--   facilities_realtime: Of those, facilities whose earliest encounter's file arrived within
--     realtime_minutes of that encounter's start; NULL on other datasets.
--   care_to_arrival_p50_minutes: Median over those facilities of minutes from the earliest
--     encounter start to its file's arrival; NULL on other datasets.
--   realtime_minutes: The phase-3 threshold used (sla_settings).

-- Local times (arrived_at, silver_at, refreshed_at) are naive Asia/Ho_Chi_Minh; admitted_at
-- carries its zone. Hanoi keeps UTC+7 all year, so a naive local time's epoch minus 7 hours is
-- its true epoch: no time zone database is needed.

with files as (

    select
        service_date,
        facility_code,
        dataset,
        source_file,
        arrived_at,
        silver_at
    from lake.bronze_files
    where service_date between getvariable('start_date') and getvariable('end_date')
        and arrived_at is not null
        and silver_at is not null

),

refreshes as (

    select
        service_date,
        refreshed_at
    from lake.marts_refreshed
    where service_date between getvariable('start_date') and getvariable('end_date')

),

encounters as (

    select
        facility_code,
        service_date,
        source_file,
        admitted_at
    from lake.encounters
    where service_date between getvariable('start_date') and getvariable('end_date')
        and admitted_at is not null

),

facilities as (

    select
        facility_code,
        facility_type
    from lake.facilities

),

settings as (

    select realtime_minutes from int_settings

),

file_times as (

    select
        files.service_date,
        coalesce(facilities.facility_type, 'unregistered') as facility_type,
        coalesce(files.dataset, 'unknown') as dataset,
        date_diff('second', files.arrived_at, files.silver_at) / 60.0 as to_silver_minutes,
        date_diff('second', files.arrived_at, min(refreshes.refreshed_at)) / 60.0
            as to_marts_minutes
    from files
    left join facilities on files.facility_code = facilities.facility_code
    left join refreshes
        on files.service_date = refreshes.service_date
        and refreshes.refreshed_at >= files.silver_at
    group by files.service_date, facilities.facility_type, files.dataset, files.source_file,
        files.arrived_at, files.silver_at

),

by_file as (

    select
        service_date,
        facility_type,
        dataset,
        count(*) as files,
        count(to_marts_minutes) as files_in_marts,
        quantile_cont(to_silver_minutes, 0.5) as to_silver_p50_minutes,
        quantile_cont(to_silver_minutes, 0.95) as to_silver_p95_minutes,
        quantile_cont(to_marts_minutes, 0.5) as to_marts_p50_minutes,
        quantile_cont(to_marts_minutes, 0.95) as to_marts_p95_minutes
    from file_times
    group by service_date, facility_type, dataset

),

earliest_care as (

    select
        encounters.service_date,
        encounters.facility_code,
        arg_min(encounters.source_file, encounters.admitted_at) as source_file,
        min(encounters.admitted_at) as care_at
    from encounters
    group by encounters.service_date, encounters.facility_code

),

care_lag as (

    select
        earliest_care.service_date,
        coalesce(facilities.facility_type, 'unregistered') as facility_type,
        earliest_care.facility_code,
        (epoch(files.arrived_at) - 7 * 3600 - epoch(earliest_care.care_at)) / 60.0
            as care_to_arrival_minutes
    from earliest_care
    inner join files
        on earliest_care.service_date = files.service_date
        and earliest_care.source_file = files.source_file
    left join facilities on earliest_care.facility_code = facilities.facility_code

),

by_type as (

    select
        care_lag.service_date,
        care_lag.facility_type,
        'encounters' as dataset,
        count(*) as facilities_with_care,
        count(*) filter (
            where care_lag.care_to_arrival_minutes <= settings.realtime_minutes
        ) as facilities_realtime,
        quantile_cont(care_lag.care_to_arrival_minutes, 0.5) as care_to_arrival_p50_minutes
    from care_lag
    cross join settings
    group by care_lag.service_date, care_lag.facility_type

),

final as (

    select
        by_file.service_date,
        by_file.facility_type,
        by_file.dataset,
        by_file.files,
        by_file.files_in_marts,
        round(by_file.to_silver_p50_minutes, 2) as to_silver_p50_minutes,
        round(by_file.to_silver_p95_minutes, 2) as to_silver_p95_minutes,
        round(by_file.to_marts_p50_minutes, 2) as to_marts_p50_minutes,
        round(by_file.to_marts_p95_minutes, 2) as to_marts_p95_minutes,
        by_type.facilities_with_care,
        by_type.facilities_realtime,
        round(by_type.care_to_arrival_p50_minutes, 1) as care_to_arrival_p50_minutes,
        settings.realtime_minutes
    from by_file
    cross join settings
    left join by_type
        on by_file.service_date = by_type.service_date
        and by_file.facility_type = by_type.facility_type
        and by_file.dataset = by_type.dataset

)

select * from final
