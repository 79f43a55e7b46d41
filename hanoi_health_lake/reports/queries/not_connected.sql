-- Registered facilities that have never delivered anything up to the period's end: not live yet
-- (go-live date missing or ahead) or live but silent since go-live.
with facilities as (

    select facilities.*, due.due_from
    from lake.facilities as facilities
    left join int_facility_due as due on due.facility_code = facilities.facility_code

),

delivered as (

    select distinct facility_code
    from int_deliveries_daily
    where service_date <= $end

),

final as (

    select
        facilities.facility_code,
        facilities.name as facility_name,
        facilities.facility_type,
        facilities.ownership,
        facilities.ward_code,
        facilities.ward_name,
        facilities.contact_name,
        facilities.contact_phone,
        facilities.contact_email,
        facilities.go_live_date,
        facilities.export_format as format,
        -- Due by the period's end: the one rule of int_facility_due.
        coalesce(facilities.due_from <= $end, false) as is_live
    from facilities
    left join delivered on delivered.facility_code = facilities.facility_code
    where delivered.facility_code is null

)

select * from final
order by is_live desc, go_live_date nulls last, facility_code
