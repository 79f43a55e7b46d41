-- description: One row per diagnosis code of an accepted encounter and disease group it belongs
--   to (reference disease_groups): a code belongs when it equals an item, sits under a category
--   item (`B05` holds `B05.9`), or its category lies in a range item (`J00-J06`).
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB).
--   encounter_id: Episode the diagnosis belongs to (MA_LK); unique within the facility.
--   ward_code: Patient's ward or commune of residence.
--   sex: male, female, other or unknown.
--   age_years: Age in whole years at the visit.
--   icd10: ICD-10 code with dot.
--   icd10_chapter: WHO ICD-10 chapter (roman numeral).
--   is_primary: True for the main diagnosis.
--   group_id: Disease group id (dengue, hfmd, influenza, ...).
--   notifiable_class: Class under the Law on Prevention of Infectious Diseases (A, B, C); NULL
--     for syndromic groups.

with diagnoses as (

    select * from stg_diagnoses
    where service_date between getvariable('start_date') and getvariable('end_date')

),

disease_groups as (

    select * from lake.disease_groups

),

items as (

    select
        group_id,
        notifiable_class,
        unnest(icd10) as item
    from disease_groups

),

codes as (

    select
        diagnoses.*,
        upper(regexp_replace(diagnoses.icd10, '\s+', '', 'g')) as bare
    from diagnoses

),

normalised as (

    select
        codes.*,
        case
            when contains(bare, '.') or length(bare) <= 3 then bare
            else left(bare, 3) || '.' || substr(bare, 4)
        end as code
    from codes

),

matched as (

    select distinct
        normalised.service_date,
        normalised.facility_code,
        normalised.encounter_id,
        normalised.ward_code,
        normalised.sex,
        normalised.age_years,
        normalised.code as icd10,
        normalised.icd10_chapter,
        normalised.is_primary,
        items.group_id,
        items.notifiable_class
    from normalised
    inner join items
        on
            case
                when contains(items.item, '-')
                    then
                        left(normalised.code, 3)
                        between split_part(items.item, '-', 1) and split_part(items.item, '-', 2)
                else
                    normalised.code = items.item
                    or starts_with(normalised.code, items.item || '.')
                    or (length(items.item) = 3 and left(normalised.code, 3) = items.item)
            end

),

final as (

    select * from matched

)

select * from final
