-- The most frequent main diagnoses (ICD-10) in the city over the period, from the staged
-- diagnoses: no mart counts single codes yet. City-wide counts, never per ward.
select
    icd10,
    icd10_chapter,
    count(*) as encounters
from stg_diagnoses
where service_date between $start and $end and is_primary
group by icd10, icd10_chapter
order by encounters desc, icd10
limit $top
