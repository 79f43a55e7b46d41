-- description: Data quality per facility, dataset and service day: files and records delivered,
--   accepted, quarantined and superseded (reconciliation), and quarantined records by Kahn
--   category.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   dataset: encounters, prescriptions, referrals, appointments or imaging_studies.
--   files: Files delivered.
--   files_failed: Files that could not be read (quarantined whole).
--   delivered: Records delivered; equals accepted + quarantined + superseded.
--   accepted: Records accepted into silver.
--   quarantined: Records quarantined.
--   superseded: Records replaced by a later correction of the same record.
--   quarantine_share: quarantined over delivered.
--   quarantined_conformance: Quarantined records breaking at least one conformance rule.
--   quarantined_completeness: Quarantined records breaking at least one completeness rule.
--   quarantined_plausibility: Quarantined records breaking at least one plausibility rule.
--   rules_broken: Distinct rules broken by the day's quarantine entries (file entries included).

-- A record breaking rules of several categories counts in each, so the three category counts
-- can add up to more than quarantined.

with reconciliation as (

    select * from lake.reconciliation
    where service_date between getvariable('start_date') and getvariable('end_date')

),

quarantine_rules as (

    select * from int_quarantine_rules
    where service_date between getvariable('start_date') and getvariable('end_date')

),

by_category as (

    select
        service_date,
        facility_code,
        dataset,
        count(distinct (source_file, record_no)) filter (
            where kahn_category = 'conformance' and not is_file_entry
        ) as quarantined_conformance,
        count(distinct (source_file, record_no)) filter (
            where kahn_category = 'completeness' and not is_file_entry
        ) as quarantined_completeness,
        count(distinct (source_file, record_no)) filter (
            where kahn_category = 'plausibility' and not is_file_entry
        ) as quarantined_plausibility,
        count(distinct rule_id) as rules_broken
    from quarantine_rules
    group by service_date, facility_code, dataset

),

final as (

    select
        reconciliation.service_date,
        reconciliation.facility_code,
        reconciliation.dataset,
        reconciliation.files,
        reconciliation.files_failed,
        reconciliation.delivered,
        reconciliation.accepted,
        reconciliation.quarantined,
        reconciliation.superseded,
        reconciliation.quarantined / nullif(reconciliation.delivered, 0) as quarantine_share,
        coalesce(by_category.quarantined_conformance, 0) as quarantined_conformance,
        coalesce(by_category.quarantined_completeness, 0) as quarantined_completeness,
        coalesce(by_category.quarantined_plausibility, 0) as quarantined_plausibility,
        coalesce(by_category.rules_broken, 0) as rules_broken
    from reconciliation
    left join by_category
        on
            by_category.service_date = reconciliation.service_date
            and by_category.facility_code = reconciliation.facility_code
            and by_category.dataset = reconciliation.dataset

)

select * from final
