-- description: Re-examination appointments per issuing facility, judged on the day their
--   ±3-day window closes: kept when the same patient had an encounter at any facility within
--   3 days of the appointment, on a later day than the appointment was issued.
-- materialized: incremental
-- unique_key: service_date
-- lookback_days: stg_appointments=123, stg_encounters=6
-- columns:
--   service_date: Day the appointments were judged: their appointment date plus 3 days, the
--     first day every encounter that could keep them is in.
--   due_date: Appointment date of the appointments judged (service_date minus 3 days).
--   facility_code: Facility that issued the appointments (MA_CSKCB).
--   appointments_due: Appointments due on due_date issued by the facility.
--   appointments_untracked: Of those, appointments whose patient key is missing or made from the
--     episode (it cannot recur in a later encounter), left out of the shares.
--   appointments_tracked: appointments_due minus appointments_untracked.
--   kept: Tracked appointments with an encounter of the same patient within ±3 days.
--   kept_same_facility: Kept at the issuing facility itself.
--   kept_early: Kept, the encounter nearest the appointment date before it.
--   kept_on_day: Kept, an encounter on the appointment date.
--   kept_late: Kept, the encounter nearest the appointment date after it.
--   missed: Tracked appointments not kept.
--   adherence_share: kept over appointments_tracked.

-- An appointment issued more than 120 days before its date is not judged, so that one day's
-- refresh reads a bounded stretch of appointments (the lookback) and a full rebuild agrees. Nor is
-- one whose window ends after the last day with encounters: its verdict is not known yet.

with encounters as (

    select
        patient_key,
        facility_code,
        service_date
    from stg_encounters
    where service_date between getvariable('start_date') - 6 and getvariable('end_date')

),

appointments as (

    select * from stg_appointments
    where
        service_date between getvariable('start_date') - 123 and getvariable('end_date') - 3
        and appointment_date between getvariable('start_date') - 3 and getvariable('end_date') - 3
        and date_diff('day', service_date, appointment_date) <= 120
        -- judged only once the encounters up to the end of its window are in
        and appointment_date + 3 <= (select max(service_date) from encounters)

),

visits as (

    select
        appointments.facility_code,
        appointments.appointment_id,
        appointments.appointment_date,
        appointments.patient_key is null or appointments.patient_key_type = 'episode'
            as is_untracked,
        encounters.facility_code as visit_facility_code,
        date_diff('day', appointments.appointment_date, encounters.service_date) as offset_days
    from appointments
    left join encounters
        on
            encounters.patient_key = appointments.patient_key
            and appointments.patient_key_type <> 'episode'
            and encounters.service_date
            between appointments.appointment_date - 3 and appointments.appointment_date + 3
            and encounters.service_date > appointments.service_date

),

judged as (

    select
        facility_code,
        appointment_id,
        appointment_date,
        bool_or(is_untracked) as is_untracked,
        count(offset_days) > 0 as is_kept,
        coalesce(bool_or(visit_facility_code = facility_code), false) as is_kept_same_facility,
        -- the visit nearest the appointment date; on a tie, the earlier one
        arg_min(offset_days, abs(offset_days) * 2 + (offset_days > 0)::integer) as nearest_offset
    from visits
    group by facility_code, appointment_id, appointment_date

),

final as (

    select
        appointment_date + 3 as service_date,
        appointment_date as due_date,
        facility_code,
        count(*) as appointments_due,
        count(*) filter (where is_untracked) as appointments_untracked,
        count(*) filter (where not is_untracked) as appointments_tracked,
        count(*) filter (where not is_untracked and is_kept) as kept,
        count(*) filter (where not is_untracked and is_kept_same_facility) as kept_same_facility,
        count(*) filter (where not is_untracked and nearest_offset < 0) as kept_early,
        count(*) filter (where not is_untracked and nearest_offset = 0) as kept_on_day,
        count(*) filter (where not is_untracked and nearest_offset > 0) as kept_late,
        count(*) filter (where not is_untracked and not is_kept) as missed,
        count(*) filter (where not is_untracked and is_kept)
        / nullif(count(*) filter (where not is_untracked), 0) as adherence_share
    from judged
    group by appointment_date, facility_code

)

select * from final
