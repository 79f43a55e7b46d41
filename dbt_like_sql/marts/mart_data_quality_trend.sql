-- description: Data-quality problems over time per facility, dataset, rule and service day:
--   new, persisting or resolved compared with the facility's previous delivery of the dataset
--   within the week before.
-- materialized: incremental
-- unique_key: service_date
-- lookback_days: 7
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   dataset: encounters, prescriptions, referrals, appointments or imaging_studies.
--   rule_id: Contract or fault rule id.
--   rule_family: The rule id's prefix.
--   kahn_category: Kahn data-quality category.
--   status: new (broken today, not on the previous delivery day), persisting (broken on both) or
--     resolved (broken on the previous delivery day, delivered today without it).
--   records_quarantined: Records quarantined under the rule today (0 when resolved).
--   files_quarantined: Files rejected under the rule today.
--   previous_delivery_date: The facility's previous service day with a file of this dataset,
--     within the 7 days before; NULL if none.
--   previous_records_quarantined: Records quarantined under the rule on that day.
--   days_broken_7d: Days in the 7 days ending today on which the rule was broken.

with rules_recent as (

    select * from mart_data_quality_rules_daily
    where service_date between getvariable('start_date') - 7 and getvariable('end_date')

),

deliveries_recent as (

    select
        service_date,
        facility_code,
        dataset
    from int_deliveries_daily
    where service_date between getvariable('start_date') - 7 and getvariable('end_date')

),

today_deliveries as (

    select * from deliveries_recent
    where service_date between getvariable('start_date') and getvariable('end_date')

    union

    select
        service_date,
        facility_code,
        dataset
    from rules_recent
    where service_date between getvariable('start_date') and getvariable('end_date')

),

previous_days as (

    select
        today.service_date,
        today.facility_code,
        today.dataset,
        max(earlier.service_date) as previous_delivery_date
    from today_deliveries as today
    left join deliveries_recent as earlier
        on
            earlier.facility_code = today.facility_code
            and earlier.dataset = today.dataset
            and earlier.service_date between today.service_date - 7 and today.service_date - 1
    group by today.service_date, today.facility_code, today.dataset

),

today_rules as (

    select * from rules_recent
    where service_date between getvariable('start_date') and getvariable('end_date')

),

previous_rules as (

    select
        previous_days.service_date,
        previous_days.facility_code,
        previous_days.dataset,
        previous_days.previous_delivery_date,
        rules_recent.rule_id,
        rules_recent.rule_family,
        rules_recent.kahn_category,
        rules_recent.records_quarantined
    from previous_days
    inner join rules_recent
        on
            rules_recent.facility_code = previous_days.facility_code
            and rules_recent.dataset = previous_days.dataset
            and rules_recent.service_date = previous_days.previous_delivery_date

),

compared as (

    select
        coalesce(today_rules.service_date, previous_rules.service_date) as service_date,
        coalesce(today_rules.facility_code, previous_rules.facility_code) as facility_code,
        coalesce(today_rules.dataset, previous_rules.dataset) as dataset,
        coalesce(today_rules.rule_id, previous_rules.rule_id) as rule_id,
        coalesce(today_rules.rule_family, previous_rules.rule_family) as rule_family,
        coalesce(today_rules.kahn_category, previous_rules.kahn_category) as kahn_category,
        case
            when previous_rules.rule_id is null then 'new'
            when today_rules.rule_id is null then 'resolved'
            else 'persisting'
        end as status,
        coalesce(today_rules.records_quarantined, 0) as records_quarantined,
        coalesce(today_rules.files_quarantined, 0) as files_quarantined,
        previous_rules.records_quarantined as previous_records_quarantined
    from today_rules
    full outer join previous_rules
        on
            previous_rules.service_date = today_rules.service_date
            and previous_rules.facility_code = today_rules.facility_code
            and previous_rules.dataset = today_rules.dataset
            and previous_rules.rule_id = today_rules.rule_id

),

broken_days as (

    select
        compared.service_date,
        compared.facility_code,
        compared.dataset,
        compared.rule_id,
        count(*) as days_broken_7d
    from compared
    inner join rules_recent
        on
            rules_recent.facility_code = compared.facility_code
            and rules_recent.dataset = compared.dataset
            and rules_recent.rule_id = compared.rule_id
            and rules_recent.service_date between compared.service_date - 6 and compared.service_date
    group by compared.service_date, compared.facility_code, compared.dataset, compared.rule_id

),

final as (

    select
        compared.service_date,
        compared.facility_code,
        compared.dataset,
        compared.rule_id,
        compared.rule_family,
        compared.kahn_category,
        compared.status,
        compared.records_quarantined,
        compared.files_quarantined,
        previous_days.previous_delivery_date,
        compared.previous_records_quarantined,
        coalesce(broken_days.days_broken_7d, 0) as days_broken_7d
    from compared
    left join previous_days
        on
            previous_days.service_date = compared.service_date
            and previous_days.facility_code = compared.facility_code
            and previous_days.dataset = compared.dataset
    left join broken_days
        on
            broken_days.service_date = compared.service_date
            and broken_days.facility_code = compared.facility_code
            and broken_days.dataset = compared.dataset
            and broken_days.rule_id = compared.rule_id

)

select * from final
