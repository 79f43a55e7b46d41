-- Referral letters from one facility type to another over the period, from
-- mart_referral_flows_daily, whose daily counts below suppress_below are withheld: the sum covers
-- the published days only (NULL when none was), and says how many days were withheld.
select
    from_facility_type,
    to_facility_type,
    sum(referrals) as referrals,
    count(*) filter (where suppressed) as suppressed_days
from mart_referral_flows_daily
where service_date between $start and $end and level = 'facility_type'
group by all
order by referrals desc nulls last, from_facility_type, to_facility_type
