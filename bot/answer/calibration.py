"""The calibrated accept/refuse model: logistic regression over :data:`FEATURES`.

Fitted by ``hoidap calibrate`` on a labelled question set of our own making
(``eval/calibration.jsonl``: in-scope paraphrases, list and item questions,
unaccented and mistyped ones, and many out-of-scope questions that share the
directive's vocabulary). Stored as plain JSON: scaler, weights, threshold, and
the fusion weight chosen on the same data. The dev set is never used to fit.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bot.answer.features import FEATURES
from bot.errors import ConfigError

DEFAULT_PATH = Path(__file__).with_name("calibration.json")
# The calibrated model rescores this many top answers and keeps the most probable.
RERANK = 4


@dataclass
class Calibration:
    features: list[str]
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float
    fusion_weight: float
    # Between this and ``threshold`` the best answer is offered as "Có phải bạn muốn hỏi…?" (one tap).
    confirm_threshold: float = 1.0
    # An item is quoted alone only when it leads the next item of its answer by this much (fused score).
    item_margin: float = 0.0
    # A message this close (cosine, adapted query space) to a phrasing an admin linked is answered
    # with that link's answer; this close to an out-of-scope mark (and closer than any link), refused.
    phrase_link: float = 0.95
    phrase_oos: float = 0.95
    model_id: str = ""
    metrics: dict = field(default_factory=dict)
    adapter: str = ""  # digest of the query adapter fitted with this calibration ("" = none)

    def probability(self, x: list[float]) -> float:
        """P(the best answer is right and in scope).

        A question that names a document we do not have (and that the answer does not
        itself cite) is never answered from ours, whatever else matches: 0.
        """
        if x[FEATURES.index("foreign_reference")] > 0:
            return 0.0
        z = self.intercept
        for xi, m, s, c in zip(x, self.mean, self.scale, self.coef, strict=True):
            z += c * (xi - m) / (s or 1.0)
        return 1.0 / (1.0 + math.exp(-max(min(z, 50.0), -50.0)))

    @classmethod
    def load(cls, path: Path | None = None) -> Calibration:
        path = Path(path or DEFAULT_PATH)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise ConfigError(f"Không đọc được tệp hiệu chỉnh {path}: {e}") from e
        cal = cls(**data)
        if list(cal.features) != list(FEATURES):
            raise ConfigError(f"Tệp hiệu chỉnh {path} dùng bộ đặc trưng khác; hãy chạy lại: hoidap calibrate")
        return cal

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
