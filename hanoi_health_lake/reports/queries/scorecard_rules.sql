-- Per facility, dataset and rule over the period: records quarantined and files rejected.
select
    facility_code,
    dataset,
    rule_id,
    kahn_category,
    sum(records_quarantined) as records_quarantined,
    sum(files_quarantined) as files_quarantined
from mart_data_quality_rules_daily
where service_date between $start and $end
group by all
