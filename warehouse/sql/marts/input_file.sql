-- One row per file read from the inbox (an archive member counts as a file): its kind, hash,
-- the items read (cards, rows or events) and how many of them were quarantined. A file
-- whose content was already read under another path shows it in `duplicate_of`, with 0 items;
-- strongties' own outputs found in the inbox are listed as `own_output` and never read.
-- group: ingest
with unusable as (
    -- Only whole files and items count; property notes describe items that were kept.
    select * from raw_quarantine where scope in ('file', 'item')
),
-- An archive's problems: members it could not read, or the archive itself.
archive_problems as (
    select source_file, count(*) as unusable_members
    from unusable
    where location like 'member %' or location = 'whole file'
    group by source_file
),
-- A member's archive is its path up to the last `!` (a zip inside a zip is `a.zip!b.zip!c.csv`).
archive_members as (
    select regexp_replace(source_file, '![^!]*$', '') as archive, count(*) as members
    from raw_inbox_files
    where source_file like '%!%'
    group by 1
),
listed as (
    select
        f.source_file as path,
        f.kind,
        f.sha256,
        case when f.kind = 'archive' then coalesce(m.members, 0) + coalesce(a.unusable_members, 0) else f.items end as items,
        case when f.kind = 'archive' then coalesce(a.unusable_members, 0) else f.quarantined end as quarantined,
        f.size_bytes,
        f.duplicate_of,
        f.parse_key is not null as parsed,
        round(f.parse_seconds, 4) as parse_seconds
    from raw_inbox_files as f
    left join archive_problems as a using (source_file)
    left join archive_members as m on m.archive = f.source_file
),
-- Files and folders the inbox scan could not read at all (a named pipe, a link loop, a folder
-- it may not open) still appear, with their one quarantine row.
unreadable as (
    select distinct q.source_file as path, 'unreadable' as kind, null as sha256, 1 as items, 1 as quarantined,
        null::bigint as size_bytes, null as duplicate_of, false as parsed, 0.0 as parse_seconds
    from unusable as q
    where q.source_file not in (select source_file from raw_inbox_files)
)
select * from listed
union all by name
select * from unreadable
order by path
