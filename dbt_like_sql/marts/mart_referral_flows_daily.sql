-- description: Referral letters per service day from one facility type to another, overall and
--   between the wards where the facilities are; counts below suppress_below are published as
--   NULL, and so is the smallest other ward cell of a type pair with one such cell.
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
--   suppressed: Withheld: a count below suppress_below (sla_settings), or the smallest other ward
--     cell of a type pair with one withheld cell (so the type total cannot give it back).

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

-- A pair of facility types is the sum of its ward cells: with one ward cell withheld, the
-- published total minus the other cells would give it back, so the smallest other cell of the
-- pair is withheld too (secondary suppression).
ward_cells as (

    select
        by_ward.*,
        by_ward.n < settings.suppress_below as small,
        count(*) filter (where by_ward.n < settings.suppress_below) over pair as small_in_pair,
        row_number() over (
            partition by
                by_ward.service_date,
                by_ward.from_facility_type,
                by_ward.to_facility_type,
                by_ward.n < settings.suppress_below
            order by by_ward.n, by_ward.from_ward_code nulls first, by_ward.to_ward_code nulls first
        ) as rank_in_kind
    from by_ward
    cross join settings
    window pair as (
        partition by by_ward.service_date, by_ward.from_facility_type, by_ward.to_facility_type
    )

),

final as (

    select
        by_type.service_date,
        by_type.level,
        by_type.from_facility_type,
        by_type.from_ward_code,
        by_type.to_facility_type,
        by_type.to_ward_code,
        case when by_type.n >= settings.suppress_below then by_type.n end as referrals,
        by_type.n < settings.suppress_below as suppressed
    from by_type
    cross join settings

    union all

    select
        service_date,
        level,
        from_facility_type,
        from_ward_code,
        to_facility_type,
        to_ward_code,
        case when not (small or (small_in_pair = 1 and rank_in_kind = 1)) then n end as referrals,
        small or (small_in_pair = 1 and rank_in_kind = 1) as suppressed
    from ward_cells

)

select * from final
