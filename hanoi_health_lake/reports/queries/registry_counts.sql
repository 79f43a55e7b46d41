-- Facilities in the registry per dimension and group: registered, and live (go-live passed) by the
-- end of the period; the denominators of "100% of facilities connected".
with facilities as (

    select * from lake.facilities

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
        count(*) filter (where go_live_date <= $end) as live
    from facilities
    group by grouping sets ((facility_type), (ownership), (ward_code), ())

)

select * from final
