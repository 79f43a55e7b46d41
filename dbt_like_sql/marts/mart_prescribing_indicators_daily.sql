-- description: WHO/INRUD prescribing indicators per facility and service day: drugs per
--   prescription, share of prescriptions with an antibiotic and with an injection, share of
--   drug lines written by generic name.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   facility_type: Registry facility type; NULL for a code not in the registry.
--   prescriptions: Prescriptions (e-prescription codes, else episodes with drug lines).
--   drug_lines: Drug lines prescribed.
--   drugs_prescribed: Distinct drugs summed over prescriptions.
--   drugs_per_prescription: drugs_prescribed over prescriptions (INRUD indicator 1).
--   prescriptions_with_antibiotic: Prescriptions with an ATC J01 drug.
--   antibiotic_share: prescriptions_with_antibiotic over prescriptions (INRUD indicator 3).
--   prescriptions_with_injection: Prescriptions with an injected drug.
--   injection_share: prescriptions_with_injection over prescriptions (INRUD indicator 4).
--   lines_generic: Drug lines written by the generic name of their drug.
--   generic_share: lines_generic over drug_lines (INRUD indicator 2).

with prescriptions as (

    select * from int_prescriptions
    where service_date between getvariable('start_date') and getvariable('end_date')

),

facilities as (

    select * from lake.facilities

),

daily as (

    select
        service_date,
        facility_code,
        count(*) as prescriptions,
        cast(sum(lines) as bigint) as drug_lines,
        cast(sum(drugs) as bigint) as drugs_prescribed,
        count(*) filter (where has_antibiotic) as prescriptions_with_antibiotic,
        count(*) filter (where has_injection) as prescriptions_with_injection,
        cast(sum(lines_generic) as bigint) as lines_generic
    from prescriptions
    group by service_date, facility_code

),

final as (

    select
        daily.service_date,
        daily.facility_code,
        facilities.facility_type,
        daily.prescriptions,
        daily.drug_lines,
        daily.drugs_prescribed,
        daily.drugs_prescribed / daily.prescriptions as drugs_per_prescription,
        daily.prescriptions_with_antibiotic,
        daily.prescriptions_with_antibiotic / daily.prescriptions as antibiotic_share,
        daily.prescriptions_with_injection,
        daily.prescriptions_with_injection / daily.prescriptions as injection_share,
        daily.lines_generic,
        daily.lines_generic / daily.drug_lines as generic_share
    from daily
    left join facilities on facilities.facility_code = daily.facility_code

)

select * from final
