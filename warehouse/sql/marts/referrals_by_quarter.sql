-- Referrals per quarter, high-impact ones (value 4 or more) apart: is the network paying off?
-- group: metrics
select
    quarter,
    count(*) filter (where direction = 'received') as received,
    count(*) filter (where direction = 'received' and high_impact) as high_impact_received,
    coalesce(sum(value) filter (where direction = 'received'), 0)::integer as value_received,
    count(*) filter (where direction = 'given') as given,
    count(*) filter (where direction = 'given' and high_impact) as high_impact_given,
    coalesce(sum(value) filter (where direction = 'given'), 0)::integer as value_given
from referral
group by quarter
order by quarter
