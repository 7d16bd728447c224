-- The owner, from owner.yaml: whose ties are measured, and who is never one of them.
-- Always exactly one row, empty when there is no owner.yaml, so that models can join it.
-- group: ingest
with declared as (
    select
        name,
        strip_accents(lower(name)) as folded_name,
        coalesce(emails, []) as emails,
        linkedin_url,
        coalesce(phones, []) as phones,
        default_region
    from raw_owner
    order by source_file
    limit 1
)
select * from declared
union all
select null, null, []::varchar[], null, []::varchar[], null
where not exists (select 1 from declared)
