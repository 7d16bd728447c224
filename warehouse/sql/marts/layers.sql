-- How many people fall in each Dunbar-style layer by rank (about 5, 15, 50 and 150), and the
-- score it takes to be in it: a few close ties, then widening circles.
-- group: metrics
with bounds(layer, layer_order, max_rank) as (
    values ('support clique', 1, 5), ('sympathy group', 2, 15), ('close network', 3, 50),
           ('active network', 4, 150), ('acquaintances', 5, 2147483647)
),
placed as (
    select
        t.*,
        (select min(layer_order) from bounds where t.rank <= bounds.max_rank) as layer_order
    from tie_strength as t
)
select
    b.layer_order,
    b.layer,
    least(b.max_rank, 1000000) as up_to_rank,
    count(p.person_id) as people,
    round(min(p.score), 4) as min_score,
    round(max(p.score), 4) as max_score,
    count(p.person_id) filter (where p.evidence = 'unknown') as unknown_strength
from bounds as b
left join placed as p using (layer_order)
group by all
order by b.layer_order
