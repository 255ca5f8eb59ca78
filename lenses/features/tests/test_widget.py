"""The widget with real ipywidgets objects (no browser), driven by the tiny causal LM."""

import ipywidgets as w
import numpy as np
import pytest

from lenses.features import FeatureLens
from lenses.features.examples import SENTIMENT_TEMPLATE
from lenses.features.widget import FeatureWidget
from spexkit.widgets import ExplainerWidget


def test_widget_runs_plots_and_checks_on_the_model(tiny):
    model, tok = tiny
    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"))
    fw = lens.widget(text="the film was good but boring", template="review : {text} answer :")
    assert isinstance(fw, ExplainerWidget) and isinstance(fw, w.VBox) and fw.box is fw
    assert fw.model.value == "(the lens's model)" and fw.value.value == "margin"
    fw.method.value = "exact"
    fw.max_degree.value = 6  # all orders: the surrogate is the game itself
    import matplotlib.pyplot as plt

    plt.close("all")
    res = fw.run()
    assert res.labels == ["the", "film", "was", "good", "but", "boring"]
    assert fw.bar.value == fw.bar.max == 64  # progress reached the end
    assert "queries" in fw.status.value
    # Outside a kernel the Output widget captures nothing; the figure it drew is still open (Agg).
    fig = plt.figure(plt.get_fignums()[-1])
    assert len(fig.axes) >= 3 and fw.choice.options  # players, top interactions, network
    shown = {t.get_text() for ax in fig.axes for t in ax.get_yticklabels()}
    assert any("good" in t for t in shown), shown
    plt.close("all")
    term = fw.choice.value
    check = fw.check(term)
    assert check["predicted"] == pytest.approx(check["actual"], abs=1e-5)  # exact: surrogate = model
    assert "surrogate predicts" in fw.check_result.value


def test_widget_controls_change_the_game(tiny):
    model, tok = tiny
    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"))
    fw = FeatureWidget(lens, text="the film was good. the ending was boring. i loved it.")
    fw.template.value = "{text}"
    fw.segmentation.value = "sentences"
    fw.fixed.value = "i loved it."
    fw.value.value = "logprob"
    fw.method.value = "kernelshap"
    fw.budget.value = 30
    res = fw.run()
    assert res.labels == ["the film was good.", "the ending was boring."]
    first = fw.active_lens
    assert first.backend_.model is model  # the lens's own model, not a copy
    fw.segmentation.value = "words"
    fw.run()
    assert fw.active_lens is not first and fw.active_lens.backend_.model is model  # shared between settings
    fw.labels.value = "good, good"
    fw.value.value = "margin"
    fw.run_button.click()  # errors show in the widget, not as a traceback
    assert "same token" in fw.status.value


def test_default_widget_opens_with_a_review(tiny):
    model, tok = tiny
    fw = FeatureWidget(FeatureLens((model, tok)))
    assert "{text}" in fw.template.value and len(fw.prompt.value.split()) > 20
    assert np.all([isinstance(c, w.Widget) for c in fw.children])


def test_template_shows_and_keeps_its_newlines(tiny):
    model, tok = tiny
    lens = FeatureLens((model, tok), value="margin", labels=("positive", "negative"))
    fw = FeatureWidget(lens)
    assert isinstance(fw.template, w.Textarea) and fw.template.rows >= 3  # a Text would hide the newlines
    assert fw.template.value == SENTIMENT_TEMPLATE and "\n" in fw.template.value
    fw.prompt.value = "the film was good"
    fw.template.value = "review :\n{text}\nanswer :"
    game = fw.build_game()
    assert game.info["prompt"] == "review :\nthe film was good\nanswer :"


def test_widget_takes_a_context_a_question_and_an_answer(tiny):
    from .test_context import CONTEXT, SENTENCES

    model, tok = tiny
    lens = FeatureLens((model, tok), value="logit_prob", segmentation="sentences", chat=False)
    fw = lens.widget(text=CONTEXT, question="was the film good ?", answer="positive")
    assert fw.template.value == "Context: {text}\n\nQuery: {question}"
    assert fw.segmentation.value == "sentences" and "logit_prob" in fw.value.options
    game = fw.build_game()
    assert game.labels == SENTENCES and game.info["answer"] == "positive"
    assert game.info["prompt"].endswith("Query: was the film good ?")
    fw.template.value = "review : {text} {question} answer :"
    fw.question.value = ""
    with pytest.raises(ValueError, match="type a question"):
        fw.build_game()
    fw.question.value = "good ?"
    fw.answer.value = ""  # the model's own greedy answer
    game = fw.build_game()
    assert game.info["prompt"] == "review : " + CONTEXT + " good ? answer :" and game.info["answer_ids"]
