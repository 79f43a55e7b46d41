-- description: Tables of QĐ 130 XML dossiers received but not yet used, per facility, table and
--   service day: XML5–XML12 and XML15 are kept whole in bronze (their records counted there),
--   not mapped to silver yet. Shown in coverage as "received, not yet used" (Đã nhận, chưa sử
--   dụng) so no received table is dropped silently.
-- materialized: incremental
-- unique_key: service_date
-- columns:
--   service_date: Day the care happened (Asia/Ho_Chi_Minh).
--   facility_code: Facility code (MA_CSKCB) of the landing folder.
--   table_name: QĐ 130 table (LOAIHOSO): XML5 … XML12 or XML15.
--   files: Dossier files that carried the table (read, so status ok).
--   records: Records of the table received (one per table of an episode, or per row).
--   status: received_not_used: kept in bronze, not yet mapped to a silver table.

with bronze_files as (

    select * from lake.bronze_files
    where service_date between getvariable('start_date') and getvariable('end_date')

),

kept as (

    select
        service_date,
        facility_code,
        unnest(kept_tables, recursive := true)
    from bronze_files
    where status = 'ok' and facility_code is not null and len(kept_tables) > 0

),

final as (

    select
        service_date,
        facility_code,
        table_name,
        count(*) as files,
        sum(records) as records,
        'received_not_used' as status
    from kept
    group by service_date, facility_code, table_name

)

select * from final
