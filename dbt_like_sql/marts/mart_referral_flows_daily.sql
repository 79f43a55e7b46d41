-- description: Referral letters per service day from one facility type to another, overall and
--   between the wards where the facilities are; ward-level counts below suppress_below are
--   published as NULL.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the referral letter was written (Asia/Ho_Chi_Minh).
--   level: facility_type (flows between types) or ward (flows between types and wards).
--   from_facility_type: Type of the referring facility; unknown when not in the registry.
--   from_ward_code: Ward of the referring facility; NULL on the facility_type level.
--   to_facility_type: Type of the facility referred to; unknown when not in the registry.
--   to_ward_code: Ward of the facility referred to; NULL on the facility_type level.
--   referrals: Referral letters; NULL when suppressed.
--   suppressed: A ward-level count below suppress_below (sla_settings), withheld.

with referrals as (

    select * from stg_referrals
    where service_date between getvariable('start_date') and getvariable('end_date')

),

facilities as (

    select * from lake.facilities

),

settings as (

    select * from int_settings

),

flows as (

    select
        referrals.service_date,
        coalesce(from_facility.facility_type, 'unknown') as from_facility_type,
        from_facility.ward_code as from_ward_code,
        coalesce(to_facility.facility_type, 'unknown') as to_facility_type,
        to_facility.ward_code as to_ward_code
    from referrals
    left join facilities as from_facility
        on from_facility.facility_code = coalesce(referrals.from_facility_code, referrals.facility_code)
    left join facilities as to_facility
        on to_facility.facility_code = referrals.to_facility_code

),

by_type as (

    select
        service_date,
        'facility_type' as level,
        from_facility_type,
        cast(null as varchar) as from_ward_code,
        to_facility_type,
        cast(null as varchar) as to_ward_code,
        count(*) as n
    from flows
    group by service_date, from_facility_type, to_facility_type

),

by_ward as (

    select
        service_date,
        'ward' as level,
        from_facility_type,
        from_ward_code,
        to_facility_type,
        to_ward_code,
        count(*) as n
    from flows
    group by service_date, from_facility_type, from_ward_code, to_facility_type, to_ward_code

),

final as (

    select
        by_type.service_date,
        by_type.level,
        by_type.from_facility_type,
        by_type.from_ward_code,
        by_type.to_facility_type,
        by_type.to_ward_code,
        by_type.n as referrals,
        false as suppressed
    from by_type

    union all

    select
        by_ward.service_date,
        by_ward.level,
        by_ward.from_facility_type,
        by_ward.from_ward_code,
        by_ward.to_facility_type,
        by_ward.to_ward_code,
        case when by_ward.n >= settings.suppress_below then by_ward.n end as referrals,
        by_ward.n < settings.suppress_below as suppressed
    from by_ward
    cross join settings

)

select * from final
