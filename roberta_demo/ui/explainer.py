"""The "How RoBERTa works" tab: a short explainer for a class or a talk, whose figures are the app's own live views
(each section links into one) and whose numbers are read from the loaded model, not written down here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import gradio as gr

from roberta_demo.catalog import Catalog
from roberta_demo.errors import EngineError, ModelLoadError
from roberta_demo.results import ModelFacts
from roberta_demo.tasks import facts
from roberta_demo.tasks.common import TaskContext
from roberta_demo.ui import vectors
from roberta_demo.ui.common import LATEX, TabParts, wire
from roberta_demo.ui.i18n import LANGUAGE, bilingual

__all__ = ["SECTIONS", "SECTIONS_ZH", "TASKS", "build", "facts_markdown", "try_it"]

TASKS = ["attention"]


def try_it(tab: str, text: str = "", view: str = "", **fields: str) -> str:
    """A deep link into a live view (the page keeps presentation mode and the theme when it follows it); `fields`:
    the tab's other boxes a link fills (`word=` on the vectors tab)."""
    query = {"tab": tab, **({"view": view} if view else {}), **fields, **({"text": text} if text else {})}
    return f"?{urlencode(query)}"


@dataclass(frozen=True)
class Section:
    title: str
    body: str  # Markdown; {layers}, {heads}, {hidden}, {d_k}, {vocabulary} and {total_heads} are the model's own
    link: str
    link_text: str
    more: tuple[tuple[str, str], ...] = ()  # further live views, (link, its text), after the first


SECTIONS = [
    Section(
        "1 · Text becomes tokens",
        "RoBERTa never sees letters or words: a byte-level BPE tokenizer cuts any text into pieces from a vocabulary "
        "of **{vocabulary:,}**. Common words are one piece; rare words, names and emoji are several. `Ġ` marks a "
        "piece that starts after a space, and `<s>` … `</s>` mark where the text begins and ends.",
        try_it("attention", "Unbelievably, RoBERTa reads tokens, not words.", "head"),
        "See the pieces of a sentence",
    ),
    Section(
        "2 · Self-attention: every token looks at every other",
        "In each layer, every token asks a question (its query q), every token offers an answer key k and a value v, "
        "and each token takes a weighted average of the values:\n\n"
        "$$\\text{{Attention}}(Q, K, V) = \\text{{softmax}}\\left(\\frac{{QK^\\top}}{{\\sqrt{{d_k}}}}\\right) V$$\n\n"
        "Dividing by $\\sqrt{{d_k}}$ (here $d_k = {hidden} / {heads} = {d_k}$) keeps the scores in a range where the "
        "softmax does not saturate. The step-by-step view computes this from the q and k the model really produced.",
        try_it("attention", "The animal didn't cross the street because it was too tired.", "formula"),
        "Compute the formula on a real sentence",
    ),
    Section(
        "3 · Many heads, many layers",
        "Each layer runs **{heads} heads** side by side, each with its own q, k and v, and the model stacks **{layers} "
        "layers**: **{total_heads} heads** in all. Heads specialise: some look at the previous token, some at `</s>` "
        "(a way of looking at nothing), some link a pronoun to its noun. Each layer's output is the next one's input.",
        try_it("attention", "The animal didn't cross the street because it was too tired.", "model"),
        "See every head of every layer",
    ),
    Section(
        "4 · Pre-training: guess the hidden word",
        "RoBERTa learned all this without labels, by masked language modelling: 15% of the tokens of each text are "
        "chosen (80% of those replaced by `<mask>`, 10% by a random token, 10% left as they are) and the model "
        "predicts the originals from both sides. RoBERTa draws new masks every time it sees a text (*dynamic "
        "masking*). The layer-by-layer view shows where in the {layers} layers the answer forms.",
        try_it("fill-mask", "The capital of France is <mask>."),
        "Hide a word and watch the model guess it",
    ),
    Section(
        "5 · What pre-training gives: a vector for every word in its context",
        "Each layer turns every token into a vector of **{hidden}** numbers that depends on the whole text. The "
        "first vector of *bank* is the same in every sentence (it is looked up, with its position); as the layers "
        "mix in the context, *bank* by a river and *bank* with money drift apart, and the cosine similarity of the "
        "two falls. These vectors are what fine-tuning builds on: a text's vector already sorts texts by what they "
        "are about before any label is seen.",
        try_it("vectors", "\n".join(vectors.BANK[:4]), word="bank"),
        "Watch one word's vectors part with its senses",
        (
            (
                try_it("vectors", vectors.BANK[0], "neighbours", word="bank"),
                "Find the words nearest *bank* among two hundred other sentences",
            ),
            (
                try_it("vectors", "\n".join(vectors.BANK[:2]), "queries", word="bank"),
                "See one head's queries and keys, where attention is nearness",
            ),
        ),
    ),
    Section(
        "6 · Fine-tuning: a small head for one task",
        "To classify, a small head reads the final vector of `<s>` and is trained, with the whole network, on "
        "labelled examples: a few thousand tweets for sentiment, sentences with tagged names for NER. Pre-training "
        "taught the language; fine-tuning teaches the task. The training step is a few lines of PyTorch: the loss of "
        "the model's answers, its gradients, a small step of every weight against them.",
        try_it("fine-tune"),
        "Fine-tune one yourself and watch it learn",
    ),
]

# The same page in Chinese (the tutorial's language); the links are the same live views.
SECTIONS_ZH = [
    Section(
        "1 · 文本变成词元",
        "模型看到的不是字母或词语，而是词元：英文 RoBERTa 用字节级 BPE 把任何文本切成词表中的片段（常见词是一个片段，"
        "生僻词、人名和表情符号是几个；`Ġ` 表示片段前有空格，`<s>` … `</s>` 标出文本的开头和结尾）；中文 RoBERTa "
        "（如 hfl/chinese-roberta-wwm-ext）用 WordPiece，每个汉字是一个词元，开头和结尾是 `[CLS]` … `[SEP]`。"
        "这个模型的词表有 **{vocabulary:,}** 个词元。",
        try_it("attention", "Unbelievably, RoBERTa reads tokens, not words.", "head"),
        "看看一个句子的词元",
    ),
    Section(
        "2 · 自注意力：每个词元都看向其他所有词元",
        "在每一层里，每个词元提出一个问题（它的查询 q），每个词元给出一个键 k 和一个值 v，"
        "每个词元取各个值的加权平均：\n\n"
        "$$\\text{{Attention}}(Q, K, V) = \\text{{softmax}}\\left(\\frac{{QK^\\top}}{{\\sqrt{{d_k}}}}\\right) V$$\n\n"
        "除以 $\\sqrt{{d_k}}$（这里 $d_k = {hidden} / {heads} = {d_k}$）让得分保持在 softmax 不会饱和的范围内。"
        "逐步计算的视图用模型实际算出的 q 和 k 来计算这个公式。",
        try_it("attention", "The animal didn't cross the street because it was too tired.", "formula"),
        "在真实句子上计算公式",
    ),
    Section(
        "3 · 多个头，多层",
        "每一层并行运行 **{heads} 个注意力头**，每个头有自己的 q、k、v；模型堆叠了 **{layers} 层**，"
        "一共 **{total_heads} 个头**。不同的头各有分工：有的看前一个词元，有的看 `</s>`（相当于什么都不看），"
        "有的把代词和它指代的名词联系起来。每一层的输出是下一层的输入。",
        try_it("attention", "The animal didn't cross the street because it was too tired.", "model"),
        "看看每一层的每一个头",
    ),
    Section(
        "4 · 预训练：猜出被遮住的词",
        "RoBERTa 不需要标注就学会了这一切，靠的是掩码语言模型：每段文本中选出 15% 的词元（其中 80% 换成 `<mask>`，"
        "10% 换成随机词元，10% 保持不变），模型根据两侧的上下文预测原来的词元。RoBERTa 每次看到一段文本都会重新选择"
        "遮罩（*动态掩码*）；中文 RoBERTa-wwm 还会整词遮罩。逐层查看的视图显示答案在 {layers} 层中的哪里成形。",
        try_it("fill-mask", "The capital of France is <mask>."),
        "遮住一个词，看模型怎么猜",
    ),
    Section(
        "5 · 预训练得到什么：每个词在上下文中的向量",
        "每一层都把每个词元变成一个有 **{hidden}** 个数的向量，这个向量取决于整段文本。*苹果*在每个句子里的第一个"
        "向量都一样（查表得到，加上位置）；随着层数增加、上下文被混进来，水果的*苹果*和公司的*苹果*渐渐分开，"
        "两者的余弦相似度也随之下降。微调就建立在这些向量之上：在看到任何标签之前，文本的向量已经按内容把文本分开了。",
        try_it("vectors", "\n".join(vectors.ZH_APPLE), word="苹果"),
        "看一个词的向量如何随词义分开",
        (
            (
                try_it("vectors", vectors.ZH_APPLE[2], "neighbours", word="苹果"),
                "在两百个句子中找出与*苹*最接近的字",
            ),
            (
                try_it("vectors", "\n".join(vectors.ZH_APPLE[:2]), "queries", word="苹果"),
                "看一个注意力头的查询和键：注意力就是距离近",
            ),
        ),
    ),
    Section(
        "6 · 微调：为一个任务加一个小小的头",
        "做分类时，一个小的分类头读取 `<s>`（`[CLS]`）的最终向量，并和整个网络一起在带标签的样本上训练："
        "情感分析用几千条评论，命名实体识别用标注了人名地名的句子。预训练教会了语言，微调教会了任务。"
        "训练的一步只有几行 PyTorch：计算模型答案的损失和梯度，让每个权重朝反方向走一小步。",
        try_it("fine-tune"),
        "自己微调一个模型，看它学习",
    ),
]

BERT_VERSUS_ROBERTA_ZH = """\
| | BERT (2018) | RoBERTa (2019) |
|---|---|---|
| 掩码 | 静态：遮罩只选一次，数据复制 10 份 | 动态：每次看到文本都重新选择遮罩 |
| 下一句预测 | 有 | 去掉了：输入是完整的句子，最长 512 个词元 |
| 批大小 | 256 个序列 | 8,000 个序列 |
| 训练数据 | 16 GB（图书、维基百科） | 160 GB（加上新闻、网页文本、故事） |
| 词表 | 30,000 个 WordPiece 词片 | 字节级 BPE：这里有 {vocabulary:,} 个，没有未知字符 |
"""

BERT_VERSUS_ROBERTA = """\
| | BERT (2018) | RoBERTa (2019) |
|---|---|---|
| masking | static: masks drawn once, the data copied 10 times | dynamic: new masks each time a text is seen |
| next-sentence prediction | yes | removed: inputs are full sentences, up to 512 tokens |
| batch | 256 sequences | 8,000 sequences |
| training data | 16 GB (books, Wikipedia) | 160 GB (adds news, web text, stories) |
| vocabulary | 30,000 WordPiece pieces | byte-level BPE: {vocabulary:,} here, no unknown characters |
"""


# roberta-base's own figures (Liu et al., 2019): what the page says until a model has loaded, or where none can.
ROBERTA_BASE = {"layers": 12, "heads": 12, "hidden": 768, "d_k": 64, "vocabulary": 50_265, "total_heads": 144}


def _figures(described: ModelFacts | None) -> dict[str, Any]:
    if described is None:
        return ROBERTA_BASE
    return {
        "layers": described.layers,
        "heads": described.heads,
        "hidden": described.hidden_size,
        "d_k": described.head_size,
        "vocabulary": described.vocabulary,
        "total_heads": described.layers * described.heads,
    }


@dataclass(frozen=True)
class Page:
    """The explainer's words in one language; `model` is filled with the model's name and figures."""

    title: str
    model: str
    sections: list[Section]
    unloaded: str
    try_it: str
    changes: str
    table: str
    conclusion: str


PAGES = {
    "en": Page(
        "How RoBERTa works",
        "The model behind these pages is **{name}**: {layers} layers, {heads} heads per layer, vectors of {hidden} "
        "numbers, {millions:,.1f} million parameters, up to {max_tokens} tokens at a time.",
        SECTIONS,
        "*The figures below are roberta-base's until this page's model has loaded.*",
        "Try it: ",
        "7 · What RoBERTa changed from BERT",
        BERT_VERSUS_ROBERTA,
        "Same architecture, trained longer, on more data, in bigger batches: the paper's point is that BERT was "
        "undertrained (Liu et al., 2019, *RoBERTa: A Robustly Optimized BERT Pretraining Approach*).",
    ),
    "zh": Page(
        "RoBERTa 如何工作",
        "这些页面背后的模型是 **{name}**：{layers} 层，每层 {heads} 个注意力头，向量有 {hidden} 个数，"
        "共 {millions:,.1f} 百万个参数，一次最多读取 {max_tokens} 个词元。",
        SECTIONS_ZH,
        "*在本页的模型加载之前，下面的数字是 roberta-base 的。*",
        "试一试：",
        "7 · RoBERTa 相比 BERT 改了什么",
        BERT_VERSUS_ROBERTA_ZH,
        "架构相同，但训练得更久、数据更多、批更大：论文的观点是 BERT 训练不足"
        "（Liu et al., 2019, *RoBERTa: A Robustly Optimized BERT Pretraining Approach*）。",
    ),
}


def facts_markdown(described: ModelFacts | None, name: str, language: str = "en") -> str:
    """The whole explainer in `language` ("en" or "zh"), with the model's own figures (placeholders until it has
    loaded)."""
    page, figures = PAGES.get(language, PAGES["en"]), _figures(described)
    lines = [f"## {page.title}", ""]
    if described is not None:
        model = page.model.format(
            name=name,
            layers=described.layers,
            heads=described.heads,
            hidden=described.hidden_size,
            millions=described.parameters / 1e6,
            max_tokens=described.max_tokens,
        )
        lines += [model, ""]
    else:
        lines += [page.unloaded, ""]
    for section in page.sections:
        lines += [f"### {section.title}", "", section.body.format(**figures), ""]
        for link, text in ((section.link, section.link_text), *section.more):
            lines += [f"**[{page.try_it}{text} →]({link})**", ""]
    lines += [f"### {page.changes}", "", page.table.format(**figures), page.conclusion]
    return "\n".join(lines)


def page_figures(context: TaskContext) -> dict[str, Any]:
    """The explainer with the real figures of the model the attention views inspect. Runs as the page loads, so a
    model that cannot load leaves the placeholders (the tab's notice says why) rather than an error."""
    try:
        described = facts.describe(context)
    except (ModelLoadError, EngineError):
        return {}
    return {"page": facts_markdown(described, described.checkpoint, LANGUAGE.get())}


def build(catalog: Catalog, context: TaskContext) -> TabParts:
    """The tab: the explainer, filled in with the model's figures when the tab is opened."""
    notice = gr.Markdown(catalog.missing_notice(TASKS))
    name = catalog.default("attention")
    placeholder = bilingual(facts_markdown(None, name), facts_markdown(None, name, "zh"))
    page = gr.Markdown(placeholder, elem_id="explainer", latex_delimiters=LATEX)
    hidden_text = gr.Textbox(visible=False)  # deep links fill a text box; this tab has none of its own
    handler = wire(page_figures, context, {"page": page})
    return TabParts(notice, TASKS, hidden_text, handler, [], [page], on_page_load=handler)
