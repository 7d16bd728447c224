-- The 80/20 check in one row: what share of the referral value received came from the top
-- 20% of the ties who referred anyone, and from the top 20% of the whole network by strength.
-- group: metrics
with referrers as (
    select
        person_id,
        value_received,
        row_number() over (order by value_received desc, person_id) as referrer_rank,
        count(*) over () as referrer_count
    from referral_summary
    where value_received > 0
),
network as (
    select count(*) as ties from tie_strength
),
top_ties as (
    select person_id from tie_strength where top_20_percent
)
select
    (select ties from network) as ties,
    count(*) as referrers,
    ceil(0.2 * count(*))::int as top_20_percent_referrers,
    coalesce(sum(value_received), 0) as value_received,
    coalesce(sum(value_received) filter (where referrer_rank <= ceil(0.2 * referrer_count)), 0) as value_from_top_20_percent_referrers,
    round(coalesce(sum(value_received) filter (where referrer_rank <= ceil(0.2 * referrer_count)), 0)
        / nullif(sum(value_received), 0), 4) as pareto_share,
    round(coalesce(sum(value_received) filter (where person_id in (select person_id from top_ties)), 0)
        / nullif(sum(value_received), 0), 4) as share_from_strongest_20_percent_of_ties
from referrers
