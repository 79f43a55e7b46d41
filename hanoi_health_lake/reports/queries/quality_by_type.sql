-- Records delivered, accepted, quarantined and superseded per facility type over the period.
select
    coalesce(facilities.facility_type, 'unregistered') as facility_type,
    sum(quality.files) as files,
    sum(quality.files_failed) as files_failed,
    sum(quality.delivered) as delivered,
    sum(quality.accepted) as accepted,
    sum(quality.quarantined) as quarantined,
    sum(quality.superseded) as superseded,
    sum(quality.quarantined) / nullif(sum(quality.delivered), 0) as quarantine_share
from mart_data_quality_daily as quality
left join lake.facilities as facilities on facilities.facility_code = quality.facility_code
where quality.service_date between $start and $end
group by all
