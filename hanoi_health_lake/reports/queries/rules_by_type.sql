-- Quarantined records and rejected files per facility type, dataset and rule over the period.
select
    coalesce(facilities.facility_type, 'unregistered') as facility_type,
    rules.dataset,
    rules.rule_id,
    rules.kahn_category,
    sum(rules.records_quarantined) as records_quarantined,
    sum(rules.files_quarantined) as files_quarantined
from mart_data_quality_rules_daily as rules
left join lake.facilities as facilities on facilities.facility_code = rules.facility_code
where rules.service_date between $start and $end
group by all
