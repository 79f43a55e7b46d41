-- Referral letters from one facility type to another over the period.
select
    from_facility_type,
    to_facility_type,
    sum(referrals) as referrals
from mart_referral_flows_daily
where service_date between $start and $end and level = 'facility_type'
group by all
order by referrals desc
