-- Per facility and dataset over the period: what was delivered and what became of it.
select
    quality.facility_code,
    quality.dataset,
    sum(quality.files) as files,
    sum(quality.files_failed) as files_failed,
    sum(quality.delivered) as delivered,
    sum(quality.accepted) as accepted,
    sum(quality.quarantined) as quarantined,
    sum(quality.superseded) as superseded,
    sum(quality.quarantined) / nullif(sum(quality.delivered), 0) as quarantine_share
from mart_data_quality_daily as quality
where quality.service_date between $start and $end
group by all
