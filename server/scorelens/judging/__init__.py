"""Model calls made by scorers ("judges"): answered from a cache when re-scoring, and counted.

cache.py         the judge-call cache in the store: keyed by the request, never the API key
interception.py  where the openai SDK's HTTP requests are seen, inside a scorer only
replies.py       what a request and its response say: model, prompt, reply, tokens
prices.py        dollars per model, from a small built-in table or the user's own
"""

from scorelens.judging.cache import JudgeCache, judge_cache_enabled
from scorelens.judging.interception import (
    JudgeCall,
    judge_calls_recorded,
    prepare,
)
from scorelens.judging.prices import PriceTable

__all__ = [
    "JudgeCache",
    "JudgeCall",
    "PriceTable",
    "judge_cache_enabled",
    "judge_calls_recorded",
    "prepare",
]
