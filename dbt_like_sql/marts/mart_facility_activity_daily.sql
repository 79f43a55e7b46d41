-- description: Activity per facility and service day: encounters by type, prescriptions and
--   drug lines, referrals out and in, appointments issued, imaging studies by modality.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   facility_type: Registry facility type; NULL for a code not in the registry.
--   ownership: Registry ownership.
--   ward_code: Ward or commune where the facility is.
--   encounters: Accepted encounters (episodes of care).
--   encounters_outpatient: Outpatient encounters.
--   encounters_inpatient: Inpatient encounters.
--   encounters_day_inpatient: Day-inpatient encounters.
--   encounters_emergency: Emergency encounters.
--   encounters_other: Encounters of any other or unknown type.
--   prescriptions: Prescriptions (e-prescription codes, else episodes with drug lines).
--   drug_lines: Drug lines prescribed.
--   referrals_out: Referral letters the facility wrote.
--   referrals_in: Referral letters written that day by any facility naming this one as target.
--   appointments_issued: Re-examination appointments the facility issued.
--   imaging_studies: Imaging studies.
--   imaging_xray: Radiography studies (modality CR, DX or DR).
--   imaging_ct: CT studies.
--   imaging_mr: MR studies.
--   imaging_us: Ultrasound studies.
--   imaging_other: Studies of any other or unknown modality.

with encounters as (

    select * from stg_encounters
    where service_date between getvariable('start_date') and getvariable('end_date')

),

prescriptions as (

    select * from int_prescriptions
    where service_date between getvariable('start_date') and getvariable('end_date')

),

referrals as (

    select * from stg_referrals
    where service_date between getvariable('start_date') and getvariable('end_date')

),

appointments as (

    select * from stg_appointments
    where service_date between getvariable('start_date') and getvariable('end_date')

),

imaging_studies as (

    select * from stg_imaging_studies
    where service_date between getvariable('start_date') and getvariable('end_date')

),

facilities as (

    select * from lake.facilities

),

encounter_counts as (

    select
        service_date,
        facility_code,
        count(*) as encounters,
        count(*) filter (where encounter_type = 'outpatient') as encounters_outpatient,
        count(*) filter (where encounter_type = 'inpatient') as encounters_inpatient,
        count(*) filter (where encounter_type = 'day_inpatient') as encounters_day_inpatient,
        count(*) filter (where encounter_type = 'emergency') as encounters_emergency,
        count(*) filter (
            where encounter_type is null
            or encounter_type not in ('outpatient', 'inpatient', 'day_inpatient', 'emergency')
        ) as encounters_other
    from encounters
    group by service_date, facility_code

),

prescription_counts as (

    select
        service_date,
        facility_code,
        count(*) as prescriptions,
        cast(sum(lines) as bigint) as drug_lines
    from prescriptions
    group by service_date, facility_code

),

referrals_out as (

    select
        service_date,
        facility_code,
        count(*) as referrals_out
    from referrals
    group by service_date, facility_code

),

referrals_in as (

    select
        service_date,
        to_facility_code as facility_code,
        count(*) as referrals_in
    from referrals
    where to_facility_code is not null
    group by service_date, to_facility_code

),

appointment_counts as (

    select
        service_date,
        facility_code,
        count(*) as appointments_issued
    from appointments
    group by service_date, facility_code

),

imaging_counts as (

    select
        service_date,
        facility_code,
        count(*) as imaging_studies,
        count(*) filter (where upper(modality) in ('CR', 'DX', 'DR')) as imaging_xray,
        count(*) filter (where upper(modality) = 'CT') as imaging_ct,
        count(*) filter (where upper(modality) = 'MR') as imaging_mr,
        count(*) filter (where upper(modality) = 'US') as imaging_us,
        count(*) filter (
            where modality is null or upper(modality) not in ('CR', 'DX', 'DR', 'CT', 'MR', 'US')
        ) as imaging_other
    from imaging_studies
    group by service_date, facility_code

),

keys as (

    select service_date, facility_code from encounter_counts
    union
    select service_date, facility_code from prescription_counts
    union
    select service_date, facility_code from referrals_out
    union
    select service_date, facility_code from referrals_in
    union
    select service_date, facility_code from appointment_counts
    union
    select service_date, facility_code from imaging_counts

),

final as (

    select
        keys.service_date,
        keys.facility_code,
        facilities.facility_type,
        facilities.ownership,
        facilities.ward_code,
        coalesce(encounter_counts.encounters, 0) as encounters,
        coalesce(encounter_counts.encounters_outpatient, 0) as encounters_outpatient,
        coalesce(encounter_counts.encounters_inpatient, 0) as encounters_inpatient,
        coalesce(encounter_counts.encounters_day_inpatient, 0) as encounters_day_inpatient,
        coalesce(encounter_counts.encounters_emergency, 0) as encounters_emergency,
        coalesce(encounter_counts.encounters_other, 0) as encounters_other,
        coalesce(prescription_counts.prescriptions, 0) as prescriptions,
        coalesce(prescription_counts.drug_lines, 0) as drug_lines,
        coalesce(referrals_out.referrals_out, 0) as referrals_out,
        coalesce(referrals_in.referrals_in, 0) as referrals_in,
        coalesce(appointment_counts.appointments_issued, 0) as appointments_issued,
        coalesce(imaging_counts.imaging_studies, 0) as imaging_studies,
        coalesce(imaging_counts.imaging_xray, 0) as imaging_xray,
        coalesce(imaging_counts.imaging_ct, 0) as imaging_ct,
        coalesce(imaging_counts.imaging_mr, 0) as imaging_mr,
        coalesce(imaging_counts.imaging_us, 0) as imaging_us,
        coalesce(imaging_counts.imaging_other, 0) as imaging_other
    from keys
    left join facilities on facilities.facility_code = keys.facility_code
    left join encounter_counts
        on
            encounter_counts.service_date = keys.service_date
            and encounter_counts.facility_code = keys.facility_code
    left join prescription_counts
        on
            prescription_counts.service_date = keys.service_date
            and prescription_counts.facility_code = keys.facility_code
    left join referrals_out
        on
            referrals_out.service_date = keys.service_date
            and referrals_out.facility_code = keys.facility_code
    left join referrals_in
        on
            referrals_in.service_date = keys.service_date
            and referrals_in.facility_code = keys.facility_code
    left join appointment_counts
        on
            appointment_counts.service_date = keys.service_date
            and appointment_counts.facility_code = keys.facility_code
    left join imaging_counts
        on
            imaging_counts.service_date = keys.service_date
            and imaging_counts.facility_code = keys.facility_code

)

select * from final
