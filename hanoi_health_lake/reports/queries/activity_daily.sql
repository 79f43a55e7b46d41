-- Activity per day and facility type over the trend window.
select
    service_date,
    coalesce(facility_type, 'unregistered') as facility_type,
    count(*) as facilities_reporting,
    sum(encounters) as encounters,
    sum(encounters_outpatient) as encounters_outpatient,
    sum(encounters_inpatient) as encounters_inpatient,
    sum(encounters_day_inpatient) as encounters_day_inpatient,
    sum(encounters_emergency) as encounters_emergency,
    sum(encounters_other) as encounters_other,
    sum(prescriptions) as prescriptions,
    sum(drug_lines) as drug_lines,
    sum(referrals_out) as referrals_out,
    sum(appointments_issued) as appointments_issued,
    sum(imaging_studies) as imaging_studies
from mart_facility_activity_daily
where service_date between $trend_start and $end
group by all
order by service_date, facility_type
