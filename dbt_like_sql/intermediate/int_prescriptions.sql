-- description: One row per prescription (the e-prescription code, else the episode) with its
--   WHO/INRUD facts: drugs, antibiotic, injection, lines written by generic name.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   prescription_ref: The national e-prescription code, or the episode id (MA_LK) for lines
--     without one.
--   lines: Drug lines on the prescription.
--   drugs: Distinct drugs (drug code, else drug name) on the prescription.
--   has_antibiotic: A line has ATC code J01 (antibacterials for systemic use); the line's ATC
--     code, else the drug list's.
--   has_injection: A line's route is an injection (iv, im, sc, or a Vietnamese `tiêm` text).
--   lines_generic: Lines whose drug name equals the generic name of their drug code in the drug
--     list, ignoring case, accents, surrounding spaces and a trailing strength (`500mg`, `1g`):
--     TEN_THUOC usually carries the strength.

with prescription_items as (

    select * from stg_prescription_items
    where service_date between getvariable('start_date') and getvariable('end_date')

),

drugs as (

    select
        drug_code,
        generic_name,
        atc_code
    from lake.drugs

),

lines as (

    select
        prescription_items.service_date,
        prescription_items.facility_code,
        coalesce(
            prescription_items.prescription_code,
            prescription_items.encounter_id,
            prescription_items.line_id
        ) as prescription_ref,
        coalesce(prescription_items.drug_code, prescription_items.drug_name) as drug_key,
        coalesce(
            starts_with(upper(coalesce(prescription_items.atc_code, drugs.atc_code)), 'J01'), false
        ) as is_antibiotic,
        coalesce(
            lower(trim(prescription_items.route)) in ('iv', 'im', 'sc')
            or replace(strip_accents(lower(prescription_items.route)), 'đ', 'd') like '%tiem%',
            false
        ) as is_injection,
        coalesce(
            replace(
                strip_accents(
                    lower(trim(regexp_replace(prescription_items.drug_name, '\s+[0-9].*$', '')))
                ),
                'đ',
                'd'
            )
            = replace(strip_accents(lower(trim(drugs.generic_name))), 'đ', 'd'),
            false
        ) as is_generic
    from prescription_items
    left join drugs on drugs.drug_code = prescription_items.drug_code

),

final as (

    select
        service_date,
        facility_code,
        prescription_ref,
        count(*) as lines,
        count(distinct drug_key) as drugs,
        bool_or(is_antibiotic) as has_antibiotic,
        bool_or(is_injection) as has_injection,
        count(*) filter (where is_generic) as lines_generic
    from lines
    group by service_date, facility_code, prescription_ref

)

select * from final
