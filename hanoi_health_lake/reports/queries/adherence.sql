-- Re-examination appointments judged in the period per issuing facility type, and per day.
select
    adherence.service_date,
    adherence.due_date,
    coalesce(facilities.facility_type, 'unregistered') as facility_type,
    sum(adherence.appointments_due) as appointments_due,
    sum(adherence.appointments_tracked) as appointments_tracked,
    sum(adherence.kept) as kept,
    sum(adherence.kept_same_facility) as kept_same_facility,
    sum(adherence.missed) as missed
from mart_appointment_adherence_daily as adherence
left join lake.facilities as facilities on facilities.facility_code = adherence.facility_code
where adherence.service_date between $trend_start and $end
group by all
order by adherence.service_date
