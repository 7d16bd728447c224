-- Which inbox built this warehouse and for which date: `make review` refuses to record answers
-- for one inbox from a warehouse another inbox built (their keys would not match).
-- group: resolve
select
    getvariable('inbox')::varchar as inbox,
    getvariable('as_of')::date as as_of,
    (select count(*) from source_record) as source_records
