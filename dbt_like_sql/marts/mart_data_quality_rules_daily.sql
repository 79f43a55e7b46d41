-- description: Quarantined records and files per facility, dataset, service day and rule broken,
--   with the rule's family and Kahn category.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   dataset: encounters, prescriptions, referrals, appointments or imaging_studies.
--   rule_id: Contract or fault rule id, e.g. plausibility.birth_before_visit.
--   rule_family: The rule id's prefix: conformance, completeness, plausibility, uniqueness, file
--     or record.
--   kahn_category: Kahn data-quality category: conformance, completeness or plausibility.
--   records_quarantined: Records quarantined that broke the rule (a record breaking several rules
--     counts under each).
--   files_quarantined: Whole files rejected under the rule.

with quarantine_rules as (

    select * from int_quarantine_rules
    where service_date between getvariable('start_date') and getvariable('end_date')

),

final as (

    select
        service_date,
        facility_code,
        dataset,
        rule_id,
        rule_family,
        kahn_category,
        count(*) filter (where not is_file_entry) as records_quarantined,
        count(*) filter (where is_file_entry) as files_quarantined
    from quarantine_rules
    group by service_date, facility_code, dataset, rule_id, rule_family, kahn_category

)

select * from final
