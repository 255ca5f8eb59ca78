"""The feature lens's widget: a prompt, its segmentation and the model's value, on top of
spexkit's common explainer (method / budget / degree, Run with progress, segment colouring,
top interactions, network, counterfactual check on the real model).

The widget receives its lens and never imports the lens module: new settings give a
``lens.clone(...)``, and a model loaded once is handed to every clone.
"""

from __future__ import annotations

from spexkit.widgets import ExplainerWidget

from ..packaged import ENCODER_ALIASES
from .examples import CONTEXT_TEMPLATE, REVIEW, SENTIMENT_TEMPLATE
from .segments import MASKINGS, SEGMENTATIONS

GIVEN = "(the lens's model)"
VALUE_CHOICES = ("auto", "logprob", "logit_prob", "margin", "cosine")


class FeatureWidget(ExplainerWidget):
    """Controls for the prompt, template, fixed parts, segmentation, masking, model and value.

    ``lens.widget()`` returns one; it is the ipywidgets box to display, and ``run()`` /
    ``check(term)`` drive it from code. For context attribution give the context as ``text``,
    a ``question`` (the template then defaults to the lens's ``CONTEXT_TEMPLATE``) and
    optionally the ``answer`` to score; choose ``"sentences"`` as the segmentation.

    Examples
    --------
    >>> from lenses.features import FeatureLens
    >>> lens = FeatureLens(model=lambda texts: [t.count("good") * 1.0 for t in texts])
    >>> fw = FeatureWidget(lens, text="good plot, good cast, dull")
    >>> fw.method.value = "exact"
    >>> res = fw.run()
    >>> res.labels
    ['good', 'plot,', 'good', 'cast,', 'dull']
    """

    unit = "queries"
    title = "spexkit · prompt features"
    #: ProxySPEX's own default depth: LLM prompts carry interactions beyond order 3, and a
    #: surrogate truncated lower misjudges the counterfactual check (benchmarks/first_result.py)
    default_max_degree = 4
    players_after_layout = True  # the coloured text wraps at the panel's final width

    def __init__(self, lens, text: str | None = None, template: str | None = None, *,
                 question: str | None = None, answer: str | None = None,
                 method: str = "auto", budget: int = 500, max_degree: int | None = None,
                 max_order: int | None = None) -> None:
        self._text, self._template = text, template
        self._question, self._answer = question, answer
        self._lenses: dict = {}
        self._models: dict = {}  # model choice -> loaded (model, tokenizer), shared by clones
        super().__init__(lens, method=method, budget=budget, max_degree=max_degree, max_order=max_order)

    def lens_controls(self):
        import ipywidgets as w

        lens, text, template = self.lens, self._text, self._template
        layout = w.Layout(width="95%")
        self.prompt = w.Textarea(value=text if text is not None else REVIEW, description="Prompt",
                                 layout=w.Layout(width="95%", height="90px"))
        if template is None and self._question:
            default_template = CONTEXT_TEMPLATE
        else:
            default_template = SENTIMENT_TEMPLATE if text is None and template is None else (template or "{text}")
        self.template = w.Textarea(value=default_template, description="Template", rows=3, layout=layout,
                                   placeholder="...{text}...  (never masked)")  # a Textarea shows its newlines
        self.fixed = w.Text(value="", description="Fixed", layout=layout,
                            placeholder="substrings never masked, separated by |")
        self.question = w.Text(value=self._question or "", description="Question", layout=layout,
                               placeholder="context attribution: fills {question} in the template")
        self.answer = w.Text(value=self._answer or "", description="Answer", layout=layout,
                             placeholder="scored by logprob / logit_prob (empty: the model's greedy answer)")
        seg = lens.segmentation if lens.segmentation in SEGMENTATIONS else "words"
        self.segmentation = w.Dropdown(options=list(SEGMENTATIONS), value=seg, description="Segments")
        self.masking = w.Dropdown(options=list(MASKINGS), value=lens.masking, description="Masking")
        given = not isinstance(lens.model, str)
        models = ([GIVEN] if given else []) + ["smollm2", ENCODER_ALIASES[0]]
        if isinstance(lens.model, str) and lens.model not in models:
            models.insert(0, lens.model)
        self.model = w.Dropdown(options=models, value=GIVEN if given else lens.model, description="Model")
        value = lens.value if isinstance(lens.value, str) else "auto"
        choices = list(VALUE_CHOICES) + ([value] if value not in VALUE_CHOICES else [])  # e.g. "output"
        self.value = w.Dropdown(options=choices, value=value, description="Value")
        labels = ", ".join(lens.labels) if lens.labels else "positive, negative"
        self.labels = w.Text(value=labels, description="Labels", placeholder="margin: two label words")
        return [self.prompt, self.template, self.question, self.answer, self.fixed,
                w.HBox([w.VBox([self.segmentation, self.masking]), w.VBox([self.model, self.value]), self.labels])]

    def _lens(self):
        """A lens with the chosen settings; a model is loaded once and shared between them."""
        value = self.value.value
        if callable(self.lens.value) and value == "auto":
            value = self.lens.value
        choice = self.model.value
        labels = tuple(s.strip() for s in self.labels.value.split(",") if s.strip()) or None
        key = (choice, str(value), self.segmentation.value, self.masking.value, labels)
        if key not in self._lenses:
            if (choice == GIVEN or choice == self.lens.model) and self.lens.is_loaded:
                self._remember(choice, self.lens)  # the lens's own model, already loaded
            model = self._models.get(choice, self.lens.model if choice == GIVEN else choice)
            lens = self.lens.clone(model=model, value=value, segmentation=self.segmentation.value,
                                   masking=self.masking.value, labels=labels)
            self._remember(choice, lens.load())
            self._lenses[key] = lens
        return self._lenses[key]

    def _remember(self, choice, lens) -> None:
        backend = lens.backend_
        if lens.kind_ != "callable" and choice not in self._models:
            self._models[choice] = (backend.model, backend.tokenizer)

    def build_game(self):
        self.active_lens = self._lens()
        fixed = [s for s in (p.strip() for p in self.fixed.value.split("|")) if s] or None
        template = self.template.value.strip() or None
        question = self.question.value.strip() or None
        answer = self.answer.value or None
        if question is None and template is not None and "{question}" in template:
            raise ValueError("the template has {question}: type a question")
        return self.active_lens.game(self.prompt.value, template=template, fixed=fixed, question=question,
                                     answer=answer if self.active_lens.value_ in ("logprob", "logit_prob")
                                     else None)

    def plot_players(self, result, ax) -> None:
        from spexkit import plots

        plots.plot_segments(result.labels, result.shapley(), ax=ax)
