-- Facilities in the registry per dimension and group: registered, and live (due by the end of
-- the period, the rule of int_facility_due); the denominators of "100% of facilities connected".
with facilities as (

    select facilities.*, due.due_from
    from lake.facilities as facilities
    left join int_facility_due as due on due.facility_code = facilities.facility_code

),

final as (

    select
        case
            when grouping(facility_type) = 0 then 'facility_type'
            when grouping(ownership) = 0 then 'ownership'
            when grouping(ward_code) = 0 then 'ward_code'
            else 'city'
        end as dimension,
        coalesce(facility_type, ownership, ward_code, 'hanoi') as group_value,
        count(*) as registered,
        count(*) filter (where due_from <= $end) as live
    from facilities
    group by grouping sets ((facility_type), (ownership), (ward_code), ())

)

select * from final
