"""The feature lens's widget: a prompt, its segmentation and the model's value, on top of
spexkit's common explainer (method / budget / order, Run with progress, segment colouring,
top interactions, network, counterfactual check on the real model)."""

from __future__ import annotations

from .data import REVIEW, SENTIMENT_TEMPLATE
from .lens import ENCODER_ALIASES, FeatureLens
from .segments import MASKINGS, SEGMENTATIONS

GIVEN = "(the lens's model)"
VALUE_CHOICES = ("auto", "logprob", "margin", "cosine")


class FeatureWidget:
    """Controls for the prompt, template, fixed parts, segmentation, masking, model and value.

    ``FeatureWidget(lens).widget`` is the ipywidgets box (``lens.widget()`` returns it; the
    box's ``controller`` attribute is this object, for scripted use and tests).

    Examples
    --------
    >>> lens = FeatureLens(model=lambda texts: [t.count("good") * 1.0 for t in texts])
    >>> fw = FeatureWidget(lens, text="good plot, good cast, dull")
    >>> fw.explainer.method.value = "exact"
    >>> res = fw.run()
    >>> res.labels
    ['good', 'plot,', 'good', 'cast,', 'dull']
    """

    def __init__(self, lens: FeatureLens, text: str | None = None, template: str | None = None, *,
                 method: str = "proxyspex", budget: int = 500, max_order: int = 3) -> None:
        import ipywidgets as w
        from spexkit.widgets import ExplainerWidget

        self.lens = lens
        self._lenses: dict = {}
        layout = w.Layout(width="95%")
        self.prompt = w.Textarea(value=text if text is not None else REVIEW, description="Prompt",
                                 layout=w.Layout(width="95%", height="90px"))
        default_template = SENTIMENT_TEMPLATE if text is None and template is None else (template or "{text}")
        self.template = w.Textarea(value=default_template, description="Template", rows=3, layout=layout,
                                   placeholder="...{text}...  (never masked)")  # a Textarea shows its newlines
        self.fixed = w.Text(value="", description="Fixed", layout=layout,
                            placeholder="substrings never masked, separated by |")
        seg = lens.segmentation if lens.segmentation in SEGMENTATIONS else "words"
        self.segmentation = w.Dropdown(options=list(SEGMENTATIONS), value=seg, description="Segments")
        self.masking = w.Dropdown(options=list(MASKINGS), value=lens.masking, description="Masking")
        given = not isinstance(lens.model, str)
        models = ([GIVEN] if given else []) + ["smollm2", ENCODER_ALIASES[0]]
        if isinstance(lens.model, str) and lens.model not in models:
            models.insert(0, lens.model)
        self.model = w.Dropdown(options=models, value=GIVEN if given else lens.model, description="Model")
        value = lens.value if isinstance(lens.value, str) else "auto"
        self.value = w.Dropdown(options=list(VALUE_CHOICES), value=value, description="Value")
        labels = ", ".join(lens.labels) if lens.labels else "positive, negative"
        self.labels = w.Text(value=labels, description="Labels", placeholder="margin: two label words")
        controls = [self.prompt, self.template, self.fixed,
                    w.HBox([w.VBox([self.segmentation, self.masking]), w.VBox([self.model, self.value]),
                            self.labels])]
        self.explainer = ExplainerWidget(self.build_game, lens_controls=controls, evaluate=self.evaluate,
                                         player_plot="segments", method=method, budget=budget,
                                         max_order=max_order, title="spexkit · prompt features")
        self.widget = self.explainer.widget
        self.widget.controller = self
        self.current: FeatureLens | None = None

    def _lens(self) -> FeatureLens:
        """A lens with the chosen settings; loaded models are reused between runs."""
        value = self.value.value
        if callable(self.lens.value) and value == "auto":
            value = self.lens.value
        model = self.lens.model if self.model.value == GIVEN else self.model.value
        labels = tuple(s.strip() for s in self.labels.value.split(",") if s.strip()) or None
        key = (self.model.value, str(value), self.segmentation.value, self.masking.value, labels)
        if key not in self._lenses:
            lens = FeatureLens(model=model, value=value, segmentation=self.segmentation.value,
                               masking=self.masking.value, labels=labels, answer_tokens=self.lens.answer_tokens,
                               placeholder=self.lens.placeholder, chat=self.lens.chat, keep=self.lens.keep,
                               batch_size=self.lens.batch_size, reuse_prefix=self.lens.reuse_prefix,
                               tokenizer=self.lens.tokenizer, device=self.lens.device)
            if self.model.value == GIVEN:
                self.lens.load()
            for other_key, other in list(self._lenses.items()) + [((GIVEN,), self.lens)]:
                if other_key[0] == self.model.value and other.backend_ is not None:
                    lens.backend_, lens.kind_, lens.model_id_ = other.backend_, other.kind_, other.model_id_
                    lens._check_value()
                    break
            self._lenses[key] = lens
        return self._lenses[key]

    def build_game(self):
        self.current = self._lens()
        fixed = [s for s in (p.strip() for p in self.fixed.value.split("|")) if s] or None
        template = self.template.value.strip() or None
        return self.current.game(self.prompt.value, template=template, fixed=fixed)

    def evaluate(self, game, removed):
        return self.current.evaluate(game, removed=removed)

    def run(self):
        """Press Run: build the game from the controls and explain it (returns the result)."""
        return self.explainer.run()

    def check(self, term):
        """Remove ``term``'s segments on the real model and compare with the surrogate."""
        return self.explainer.check(term)
