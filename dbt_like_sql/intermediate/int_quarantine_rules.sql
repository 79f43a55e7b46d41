-- description: One row per quarantine entry and rule it broke, with the rule's family (its id's
--   prefix) and Kahn category (seed rule_families); no payload, no identifiers.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   dataset: encounters, prescriptions, referrals, appointments or imaging_studies.
--   source_file: Delivered file under landing/ the entry came from.
--   record_no: Position of the record in its file; NULL when the whole file was rejected.
--   is_file_entry: The whole file was rejected (one entry for the file).
--   rule_id: Contract or fault rule id, e.g. conformance.icd10_known.
--   rule_family: The rule id's prefix: conformance, completeness, plausibility, uniqueness, file
--     or record.
--   kahn_category: Kahn data-quality category of the family: conformance, completeness or
--     plausibility; unknown for a family the seed does not list.
--   severity: Severity of the entry (error).

with quarantine as (

    select * from lake.quarantine
    where service_date between getvariable('start_date') and getvariable('end_date')

),

families as (

    select
        family,
        kahn_category
    from rule_families

),

rules as (

    select
        service_date,
        facility_code,
        dataset,
        source_file,
        record_no,
        severity,
        unnest(rule_ids) as rule_id
    from quarantine

),

final as (

    select
        rules.service_date,
        rules.facility_code,
        rules.dataset,
        rules.source_file,
        rules.record_no,
        rules.record_no is null as is_file_entry,
        rules.rule_id,
        split_part(rules.rule_id, '.', 1) as rule_family,
        coalesce(families.kahn_category, 'unknown') as kahn_category,
        rules.severity
    from rules
    left join families on families.family = split_part(rules.rule_id, '.', 1)

)

select * from final
