-- The published core list: the few people who matter most, by tie strength and the value of
-- the referrals they brought, with why in words. `top_20_percent` marks the fifth of measured
-- ties that, by the 80/20 rule, should carry most of the owner's opportunities.
-- group: publish
with measured as (
    select
        *,
        referral_value_received / nullif(max(referral_value_received) over (), 0) as referral_share
    from tie_strength
),
combined as (
    select
        *,
        getvariable('core_weight_tie_strength') * score
            + getvariable('core_weight_referral_value') * coalesce(referral_share, 0) as core_score
    from measured
),
ranked as (
    select
        *,
        row_number() over (order by core_score desc, score desc, person_id) as core_rank,
        -- Not tie_strength.top_20_percent: ties of unknown strength do not count towards the fifth.
        count(*) filter (where evidence = 'measured') over () as measured_ties
    from combined
)
select
    core_rank as rank,
    person_id,
    display_name,
    round(score, 6) as score,
    round(core_score, 6) as core_score,
    explanation as why,
    core_rank <= ceil(0.2 * measured_ties) as top_20_percent,
    rank as tie_strength_rank,
    referral_value_received,
    last_contact
from ranked
where core_rank <= getvariable('core_list_size')
order by rank
