-- WHO/INRUD prescribing indicators per facility type over the period, from the daily mart's
-- counts (ratios of sums, not averages of daily ratios).
select
    coalesce(facility_type, 'unregistered') as facility_type,
    sum(prescriptions) as prescriptions,
    sum(drug_lines) as drug_lines,
    sum(drugs_prescribed) / nullif(sum(prescriptions), 0) as drugs_per_prescription,
    sum(prescriptions_with_antibiotic) / nullif(sum(prescriptions), 0) as antibiotic_share,
    sum(prescriptions_with_injection) / nullif(sum(prescriptions), 0) as injection_share,
    sum(lines_generic) / nullif(sum(drug_lines), 0) as generic_share
from mart_prescribing_indicators_daily
where service_date between $start and $end
group by all
