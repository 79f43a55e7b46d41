-- description: Facility datasets the registry expects that have sent no file for
--   laggard_silent_days days or more (or never), as of the latest service day in
--   mart_coverage_daily: the rows its is_laggard flag (the one laggard rule) marks on that day.
-- materialized: table
-- columns:
--   as_of_date: Latest service day in mart_coverage_daily.
--   facility_code: Facility code (MA_CSKCB).
--   facility_name: Registry name of the facility.
--   facility_type: Registry facility type.
--   ownership: Registry ownership.
--   ward_code: Ward or commune where the facility is.
--   ward_name: Its name.
--   dataset: The silent dataset.
--   registry_format: The format the registry says the facility sends this dataset in.
--   go_live_date: Registry go-live date.
--   connected_since: First service day with a delivery of the dataset; NULL if never.
--   last_delivery_date: Latest service day with a delivery; NULL if never.
--   last_format: Format of the first file of last_delivery_date.
--   silent_days: Days since last_delivery_date, or since go-live when it never delivered.
--   is_never_delivered: The facility has never delivered this dataset.

with facilities as (

    select * from lake.facilities

),

as_of as (

    select max(service_date) as as_of_date
    from mart_coverage_daily

),

silent as (

    select mart_coverage_daily.*
    from mart_coverage_daily
    cross join as_of
    where
        mart_coverage_daily.service_date = as_of.as_of_date
        and mart_coverage_daily.is_laggard

),

last_files as (

    select
        int_deliveries_daily.facility_code,
        int_deliveries_daily.dataset,
        int_deliveries_daily.first_format
    from int_deliveries_daily
    inner join silent
        on
            silent.facility_code = int_deliveries_daily.facility_code
            and silent.dataset = int_deliveries_daily.dataset
            and silent.last_delivery_date = int_deliveries_daily.service_date

),

final as (

    select
        silent.service_date as as_of_date,
        silent.facility_code,
        facilities.name as facility_name,
        silent.facility_type,
        silent.ownership,
        silent.ward_code,
        facilities.ward_name,
        silent.dataset,
        case
            when silent.dataset = 'imaging_studies' then facilities.imaging_format
            else facilities.export_format
        end as registry_format,
        facilities.go_live_date,
        silent.connected_since,
        silent.last_delivery_date,
        last_files.first_format as last_format,
        silent.silent_days,
        silent.last_delivery_date is null as is_never_delivered
    from silent
    left join facilities on facilities.facility_code = silent.facility_code
    left join last_files
        on last_files.facility_code = silent.facility_code and last_files.dataset = silent.dataset

)

select * from final
