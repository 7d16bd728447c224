-- How many people fall in each Dunbar-style layer by rank (about 5, 15, 50 and 150), and the
-- score it takes to be in it: a few close ties, then widening circles.
-- group: metrics
with bounds(layer, layer_order, min_rank, max_rank) as (
    values ('support clique', 1, 1, 5), ('sympathy group', 2, 6, 15), ('close network', 3, 16, 50),
           ('active network', 4, 51, 150), ('acquaintances', 5, 151, 2147483647)
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
left join tie_strength as p on p.rank between b.min_rank and b.max_rank
group by all
order by b.layer_order
