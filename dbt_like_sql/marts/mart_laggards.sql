-- description: Facility datasets the registry expects that have sent no file for
--   laggard_days_since_delivery days or more (or never), as of the latest service day in
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
--   dataset: The overdue dataset.
--   registry_format: The format the registry says the facility sends this dataset in.
--   go_live_date: Registry go-live date.
--   connected_since: First service day with a delivery of the dataset; NULL if never.
--   last_delivery_date: Latest service day with a delivery; NULL if never.
--   last_format: Format of the first file of last_delivery_date.
--   days_since_delivery: Days since last_delivery_date, or since go-live when it never delivered.
--   is_never_delivered: The facility has never delivered this dataset.

with facilities as (

    select * from lake.facilities

),

as_of as (

    select max(service_date) as as_of_date
    from mart_coverage_daily

),

overdue as (

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
    inner join overdue
        on
            overdue.facility_code = int_deliveries_daily.facility_code
            and overdue.dataset = int_deliveries_daily.dataset
            and overdue.last_delivery_date = int_deliveries_daily.service_date

),

final as (

    select
        overdue.service_date as as_of_date,
        overdue.facility_code,
        facilities.name as facility_name,
        overdue.facility_type,
        overdue.ownership,
        overdue.ward_code,
        facilities.ward_name,
        overdue.dataset,
        case
            when overdue.dataset = 'imaging_studies' then facilities.imaging_format
            else facilities.export_format
        end as registry_format,
        facilities.go_live_date,
        overdue.connected_since,
        overdue.last_delivery_date,
        last_files.first_format as last_format,
        overdue.days_since_delivery,
        overdue.last_delivery_date is null as is_never_delivered
    from overdue
    left join facilities on facilities.facility_code = overdue.facility_code
    left join last_files
        on last_files.facility_code = overdue.facility_code and last_files.dataset = overdue.dataset

)

select * from final
