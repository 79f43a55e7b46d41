-- Facility datasets behind in the report period: expected on a day and not delivered, delivered
-- late, or with no file for days at the period's end (is_laggard_at_end): that is
-- mart_coverage_daily.is_laggard, the one laggard rule mart_laggards lists, read on the period's
-- last day rather than the warehouse's latest.
with coverage as (

    select * from mart_coverage_daily
    where service_date between $start and $end and is_expected

),

facilities as (

    select * from lake.facilities

),

period as (

    select
        facility_code,
        dataset,
        count(*) as expected_days,
        count(*) filter (where not is_delivered) as missed_days,
        count(*) filter (where is_delivered and not is_on_time) as late_days,
        max(first_lag_hours) filter (where is_delivered and not is_on_time) as worst_lag_hours,
        arg_max(days_since_delivery, service_date) as days_since_delivery,
        arg_max(is_laggard, service_date) as is_laggard,
        arg_max(last_delivery_date, service_date) as last_delivery_date,
        max(service_date) as last_expected_date
    from coverage
    group by facility_code, dataset

),

behind as (

    select
        period.*,
        period.last_expected_date = $end and period.is_laggard as is_laggard_at_end
    from period
    where
        period.missed_days > 0
        or period.late_days > 0
        or (period.last_expected_date = $end and period.is_laggard)

),

last_files as (

    select
        deliveries.facility_code,
        deliveries.dataset,
        deliveries.first_format
    from int_deliveries_daily as deliveries
    inner join behind
        on
            behind.facility_code = deliveries.facility_code
            and behind.dataset = deliveries.dataset
            and behind.last_delivery_date = deliveries.service_date

),

final as (

    select
        behind.facility_code,
        facilities.name as facility_name,
        facilities.facility_type,
        facilities.ownership,
        facilities.ward_code,
        facilities.ward_name,
        -- Whom to call: the facility's own data-delivery contact (optional registry columns).
        facilities.contact_name,
        facilities.contact_phone,
        facilities.contact_email,
        behind.dataset,
        behind.is_laggard_at_end,
        behind.days_since_delivery,
        behind.last_delivery_date,
        coalesce(
            last_files.first_format,
            case
                when behind.dataset = 'imaging_studies' then facilities.imaging_format
                else facilities.export_format
            end
        ) as format,
        behind.expected_days,
        behind.missed_days,
        behind.late_days,
        behind.worst_lag_hours
    from behind
    left join facilities on facilities.facility_code = behind.facility_code
    left join last_files
        on last_files.facility_code = behind.facility_code and last_files.dataset = behind.dataset

)

-- A facility's datasets stay together, the facilities worst off first.
select * from final
order by
    max(is_laggard_at_end::integer) over (partition by facility_code) desc,
    max(days_since_delivery) over (partition by facility_code) desc,
    sum(missed_days) over (partition by facility_code) desc,
    sum(late_days) over (partition by facility_code) desc,
    facility_code,
    is_laggard_at_end desc,
    missed_days desc,
    late_days desc,
    dataset
