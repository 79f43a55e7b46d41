-- description: Encounters per service day and patient's ward with a diagnosis in each ICD-10
--   chapter and in each disease group; counts below suppress_below are published as NULL.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   ward_code: Patient's ward or commune of residence; NULL when unknown, including a delivered
--     code that is not one of Hanoi's wards (it is never published as a ward of its own).
--   classification: icd10_chapter or disease_group.
--   category: The chapter (roman numeral) or the disease group id.
--   category_name_vi: Disease group name in Vietnamese; NULL for chapters.
--   category_name_en: Disease group name in English; NULL for chapters.
--   notifiable_class: Notifiable class of the disease group (A, B, C); NULL otherwise.
--   cases: Encounters with at least one diagnosis (main or secondary) in the category; NULL when
--     suppressed.
--   suppressed: The count was below suppress_below (sla_settings) and is withheld.

with diagnoses as (

    select * from stg_diagnoses
    where service_date between getvariable('start_date') and getvariable('end_date')

),

diagnosis_groups as (

    select * from int_diagnosis_groups
    where service_date between getvariable('start_date') and getvariable('end_date')

),

-- A delivered ward code is only a warning when unknown (conformance.ward_known): published
-- counts are by the wards of the reference list, everything else counts as "unknown" (NULL).
wards as (

    select ward_code from lake.wards

),

disease_groups as (

    select * from lake.disease_groups

),

settings as (

    select * from int_settings

),

chapters as (

    select
        diagnoses.service_date,
        wards.ward_code,
        'icd10_chapter' as classification,
        diagnoses.icd10_chapter as category,
        count(distinct (diagnoses.facility_code, diagnoses.encounter_id)) as encounters
    from diagnoses
    left join wards on diagnoses.ward_code = wards.ward_code
    where diagnoses.icd10_chapter is not null
    group by diagnoses.service_date, wards.ward_code, diagnoses.icd10_chapter

),

groups as (

    select
        diagnosis_groups.service_date,
        wards.ward_code,
        'disease_group' as classification,
        diagnosis_groups.group_id as category,
        count(distinct (diagnosis_groups.facility_code, diagnosis_groups.encounter_id))
            as encounters
    from diagnosis_groups
    left join wards on diagnosis_groups.ward_code = wards.ward_code
    group by diagnosis_groups.service_date, wards.ward_code, diagnosis_groups.group_id

),

counted as (

    select * from chapters
    union all
    select * from groups

),

final as (

    select
        counted.service_date,
        counted.ward_code,
        counted.classification,
        counted.category,
        disease_groups.name_vi as category_name_vi,
        disease_groups.name_en as category_name_en,
        disease_groups.notifiable_class,
        case when counted.encounters >= settings.suppress_below then counted.encounters end
            as cases,
        counted.encounters < settings.suppress_below as suppressed
    from counted
    cross join settings
    left join disease_groups
        on
            counted.classification = 'disease_group'
            and disease_groups.group_id = counted.category

)

select * from final
