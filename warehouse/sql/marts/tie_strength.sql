-- One row per person with logged contact: the features of tie strength, each in [0, 1]
-- within the owner's own network, the weighted score, its rank and an explanation in words.
-- docs/scoring.md states the formula and the research behind every feature and weight.
-- group: metrics
-- The features and the score come from int_tie_features at the as-of date: one formula for
-- today and for every past month-end of tie_strength_history.
with now as (
    select * from int_tie_features where as_of_date = getvariable('as_of')::date
),
-- What the explanation counts in words: kinds of contact over the last 90 days and the last
-- year, and referrals. These describe the tie; the score does not read them.
contacts as (
    select i.*, i.occurred_on as contact_day, getvariable('as_of')::date - i.occurred_on as age_days
    from interaction as i
),
details as (
    select
        person_id,
        list(distinct channel order by channel) as channels,
        count(*) filter (where channel = 'meeting' and group_size = 2 and age_days < 90) as one_on_ones_90d,
        count(*) filter (where channel = 'meeting' and group_size = 2 and age_days < 90 and direction = 'outbound') as organised_90d,
        count(*) filter (where channel = 'meeting' and age_days < 365) as meetings_365d,
        count(*) filter (where channel = 'meeting') as meetings_all,
        max(contact_day) filter (where channel = 'meeting') as last_meeting,
        count(*) filter (where channel = 'meeting' and group_size = 2 and age_days < 365) as one_on_ones_365d,
        count(*) filter (where channel = 'message' and age_days < 365) as messages_365d,
        count(*) filter (where channel = 'message' and age_days < 365 and direction = 'inbound') as messages_from_them_365d,
        count(*) filter (where channel = 'email' and age_days < 365) as emails_365d,
        count(*) filter (where channel = 'email' and age_days < 365 and direction = 'outbound') as emails_to_them_365d,
        count(*) filter (where channel = 'email' and age_days < 365 and direction = 'inbound') as emails_from_them_365d,
        max(age_days) filter (where channel = 'email' and age_days < 365 and direction = 'outbound') as first_email_to_them_age_days,
        count(*) filter (where channel = 'referral' and direction = 'inbound') as referrals_received,
        count(*) filter (where channel = 'referral' and direction = 'outbound') as referrals_given,
        coalesce(sum(value) filter (where channel = 'referral' and direction = 'inbound'), 0)::integer as referral_value_received,
        coalesce(sum(value) filter (where channel = 'referral' and direction = 'outbound'), 0)::integer as referral_value_given,
        list(distinct replace(kind, '_', ' ') order by replace(kind, '_', ' '))
            filter (where channel = 'referral' and direction = 'inbound') as referral_kinds_received
    from contacts
    group by person_id
),
-- Replies over the last `reply_window_days` (int_mail_replies): of the mails that asked the
-- other side for an answer, how many were answered and how soon.
replies as (
    select
        person_id,
        count(*) filter (where direction = 'outbound') as mails_to_them_asking,
        count(answered_at) filter (where direction = 'outbound') as answered_by_them,
        count(*) filter (where direction = 'inbound') as mails_from_them_asking,
        count(answered_at) filter (where direction = 'inbound') as answered_by_you,
        median(reply_hours) filter (where direction = 'outbound') as median_reply_hours_theirs,
        median(reply_hours) filter (where direction = 'inbound') as median_reply_hours_yours
    from int_mail_replies
    where sent_day > getvariable('as_of')::date - getvariable('reply_window_days')
    group by person_id
),
final as (
    select
        now.*,
        p.display_name,
        d.* exclude (person_id),
        coalesce(r.mails_to_them_asking, 0) as mails_to_them_asking,
        coalesce(r.answered_by_them, 0) as answered_by_them,
        coalesce(r.mails_from_them_asking, 0) as mails_from_them_asking,
        coalesce(r.answered_by_you, 0) as answered_by_you,
        r.answered_by_them / nullif(r.mails_to_them_asking, 0) as reply_rate_theirs,
        r.answered_by_you / nullif(r.mails_from_them_asking, 0) as reply_rate_yours,
        r.median_reply_hours_theirs,
        r.median_reply_hours_yours,
        -- Your mails to them a week, over the part of the year since the first of them (at
        -- least a week: five mails in two days are not a daily habit).
        7.0 * d.emails_to_them_365d / greatest(d.first_email_to_them_age_days + 1, 7) as your_emails_per_week
    from now
    join person as p using (person_id)
    join details as d using (person_id)
    left join replies as r using (person_id)
)
select
    person_id,
    display_name,
    score,
    rank,
    -- The fifth of the network that, by the 80/20 rule, should carry most of the opportunities.
    rank <= ceil(0.2 * ranked_ties) as top_20_percent,
    evidence,
    recency,
    frequency,
    volume,
    time_together,
    reciprocity,
    longevity,
    multiplexity,
    shared_context,
    intensity,
    their_initiative,
    concat_ws('; ',
        case
            when one_on_ones_90d > 0 then
                one_on_ones_90d || ' one-on-one' || if(one_on_ones_90d = 1, '', 's') || ' in the last 90 days'
                || if(organised_90d > 0, ', you organised ' || organised_90d, '')
            when meetings_365d > 0 then
                meetings_365d || ' meeting' || if(meetings_365d = 1, '', 's') || ' in the last year'
                || if(one_on_ones_365d > 0, ' (' || one_on_ones_365d || ' one-on-one)', '')
            when meetings_all > 0 then
                meetings_all || ' meeting' || if(meetings_all = 1, '', 's') || ' in all, the last in '
                || strftime(last_meeting, '%b %Y')
        end,
        case when messages_365d > 0 then
            messages_365d || ' message' || if(messages_365d = 1, '', 's') || ' in the last year, '
            || messages_from_them_365d || ' from them'
        end,
        -- Replies, once there is enough mail to judge them by (`reply_min_mails` of yours);
        -- otherwise how much mail there was.
        case when mails_to_them_asking >= getvariable('reply_min_mails') then
            'you write ' || case
                when your_emails_per_week >= 5 then 'daily'
                when your_emails_per_week >= 2 then 'several times a week'
                when your_emails_per_week >= 0.75 then 'about weekly'
                when your_emails_per_week >= 0.35 then 'about every two weeks'
                when your_emails_per_week >= 0.17 then 'about monthly'
                else 'now and then' end
            || '; they answer ' || case
                when answered_by_them = mails_to_them_asking then 'all of your mails'
                when answered_by_them = 0 then 'none of your mails'
                when round(10 * reply_rate_theirs) = 10 then 'nearly all of your mails'
                when round(10 * reply_rate_theirs) = 0 then 'few of your mails'
                else round(10 * reply_rate_theirs)::int || ' in 10 of your mails' end
            || case
                when answered_by_them = 0 then ''
                when median_reply_hours_theirs <= 1 then ', usually within the hour'
                when median_reply_hours_theirs <= 24 then ', usually within a day'
                when median_reply_hours_theirs <= 72 then ', usually within three days'
                when median_reply_hours_theirs <= 168 then ', usually within a week'
                else ', usually after more than a week' end
            when emails_365d > 0 then
                emails_365d || ' mail' || if(emails_365d = 1, '', 's') || ' in the last year, '
                || emails_from_them_365d || ' from them'
        end,
        -- Intensity and their initiative, where they stand out: long conversations, and a tie
        -- that reaches out to you.
        case when contacts_per_conversation >= getvariable('explained_contacts_per_conversation') then
            'your conversations run to about ' || round(contacts_per_conversation)::int || ' contacts'
        end,
        case when initiated_by_them >= getvariable('explained_their_initiative') then
            'they reached out ' || initiated_by_them || ' times'
        end,
        case when referrals_received > 0 then
            'referred you ' || case referrals_received when 1 then 'once' when 2 then 'twice' else referrals_received || ' times' end
            || ' (' || array_to_string(referral_kinds_received, ', ') || ')'
        end,
        case when referrals_given > 0 then
            'you referred them ' || case referrals_given when 1 then 'once' when 2 then 'twice' else referrals_given || ' times' end
        end,
        case
            when years_known >= 1 then 'known ' || floor(years_known)::int || ' year' || if(floor(years_known) = 1, '', 's')
            when years_known >= 0 then 'known ' || greatest(1, floor(years_known * 12))::int || ' month'
                || if(floor(years_known * 12) <= 1, '', 's')
        end,
        'last contact ' || case
            when days_since_last_contact = 0 then 'today'
            when days_since_last_contact <= 90 then
                days_since_last_contact || ' day' || if(days_since_last_contact = 1, '', 's') || ' ago'
            else strftime(last_contact, '%b %Y') end,
        if(evidence = 'unknown', 'little logged contact: strength unknown rather than weak', null),
        -- The trend from the monthly history (int_tie_trends), when there is one.
        case trends.trend
            when 'fading' then if(trends.rank_share_6_months_ago <= 0.5,
                'down from your top ' || greatest(1, ceil(100 * trends.rank_share_6_months_ago))::int || '% six months ago',
                'down from ' || round(trends.strength_6_months_ago, 2) || ' six months ago')
            when 'rising' then if(trends.rank_share_6_months_ago is null, 'new in the last six months',
                'up from ' || round(trends.strength_6_months_ago, 2) || ' six months ago')
        end
    ) as explanation,
    coalesce(trends.trend, 'steady') as trend,
    round(coalesce(trends.strength_6_months_ago, 0), 6) as strength_6_months_ago,
    last_contact,
    days_since_last_contact,
    known_since,
    round(years_known, 2) as years_known,
    contact_days,
    round(decayed_contact_days, 4) as decayed_contact_days,
    contact_count,
    round(decayed_contacts, 4) as decayed_contacts,
    emails_365d,
    emails_from_them_365d,
    round(reply_rate_theirs, 4) as reply_rate_theirs,
    round(reply_rate_yours, 4) as reply_rate_yours,
    round(median_reply_hours_theirs, 2) as median_reply_hours_theirs,
    round(median_reply_hours_yours, 2) as median_reply_hours_yours,
    history_days,
    round(minutes_together, 1) as minutes_together,
    initiated_by_owner,
    initiated_by_them,
    channels,
    source_count,
    shared_contacts,
    round(contacts_per_conversation, 2) as contacts_per_conversation,
    referrals_received,
    referrals_given,
    referral_value_received,
    referral_value_given,
    referral_kinds_received
from final
left join int_tie_trends as trends using (person_id)
