"""Every message a person can see, in English and Simplified Chinese (the tutorial's language): one catalogue.

gettext's way (Babel's catalogues): a message's English template is its id, and `CHINESE` holds each template's
Chinese. Code that raises or shows a message writes `say("… {name} …", name=value)` and never formats the text
itself: the message travels as its template and values (through a Ray replica too, pickled) to the edge that answers
the request (the page, the data API, MCP), which writes it in the request's language (`LANGUAGE`, set for each
request by `ui.protocol`). Charts and notes, drawn while a request is answered, use `speak`, the same in one step.
The page's own strings (labels, buttons, Markdown) take the same table through `ui.i18n._`.

tests/test_messages.py reads every template the code writes (a literal first argument of `say`, `speak` and `_`) and
fails when one has no Chinese, when the Chinese names a value the English does not, or when the catalogue holds a
template no code writes: a changed English message cannot lose its Chinese silently.

A value is shown as it is (a person's text, a number already formatted), except a `Message` among the values, which is
written in the same language (a task's name in a message about it, a line's reason in a file's error). Only `{name}`
is a value: a bare `{}` is text (the hypothesis template's slot).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CHINESE", "LANGUAGE", "Message", "render", "say", "speak", "written"]

log = logging.getLogger(__name__)

# The language of the request being answered: "en" or "zh".
LANGUAGE: ContextVar[str] = ContextVar("language", default="en")
_NAMED = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Message:
    """A message as its English template (its id in the catalogue) and the values it names. `str()` is the English,
    for logs, the command line and exceptions' text."""

    template: str
    values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self, "en")


def say(template: str, /, **values: Any) -> Message:
    """The message `template` with its values, to be written in the request's language where it is shown."""
    return Message(template, values)


def render(message: Message | str, language: str | None = None) -> str:
    """`message` in `language` (default: the request's). A plain string is data (a person's text, a name) and comes
    back as it is."""
    if not isinstance(message, Message):
        return message
    language = language or LANGUAGE.get()
    template = message.template if language == "en" else _chinese(message.template)
    values = {
        name: render(value, language) if isinstance(value, Message) else str(value)
        for name, value in message.values.items()
    }
    return _NAMED.sub(lambda found: values.get(found[1], found[0]), template)


def speak(template: str, /, **values: Any) -> str:
    """`say(template, **values)` written now, in the language of the request being answered (a chart's title)."""
    return render(Message(template, values))


def written(parts: Iterable[Message | str], separator: str = "\n\n") -> str:
    """Paragraphs (or any parts) of a note, each in the request's language."""
    return separator.join(render(part) for part in parts)


def _chinese(template: str) -> str:
    try:
        return CHINESE[template]
    except KeyError:  # tests/test_messages.py keeps this from happening; a visitor would still get the English
        log.warning("no Chinese for the message %r", template)
        return template


# English template → 简体中文.
CHINESE: dict[str, str] = {
    # The words of tables and charts' axes
    "mask": "遮罩",
    "rank": "排名",
    "word": "词",
    "token": "词元",
    "probability": "概率",
    "tokens scored": "打分的词元",
    "entity": "实体",
    "type": "类型",
    "score": "得分",
    "start": "起点",
    "end": "终点",
    "text": "文本",
    "label": "标签",
    "set": "集合",
    "before": "训练前",
    "after": "训练后",
    "changed": "变化",
    "Examples": "示例",
    "What this shows": "这里展示了什么",
    # The header
    "Copy a link to this text": "复制此文本的链接",
    "Share this result": "分享此结果",
    "Link copied": "链接已复制",
    "Presentation mode": "演示模式",
    "中文 / English": "English / 中文",
    "Link to this tab and text (copied)": "此标签页和文本的链接（已复制）",
    "**Test models.** This app runs the `{profile}` profile: small models with random weights, built on this machine. "
    "Their predictions are meaningless; start with `--models default` (or `--models zh`) for the real checkpoints.": (
        "**测试模型。** 本应用运行的是 `{profile}` 配置：在本机构建的随机权重小模型，其预测没有意义；"
        "使用 `--models default`（或 `--models zh`）启动即可加载真实模型。"
    ),
    # Tabs
    "How RoBERTa works": "RoBERTa 如何工作",
    "Fill-mask": "完形填空",
    "Classification": "文本分类",
    "Sentiment": "情感分析",
    "NER": "命名实体识别",
    "Attention": "注意力",
    "Vectors": "向量",
    "Fine-tune": "微调",
    "Pre-train": "预训练",
    # Shared
    "Text": "文本",
    "Model": "模型",
    "details": "详情",
    "Mode": "模式",
    # Sentiment
    "Sentiment (negative / neutral / positive)": "情感（负面 / 中性 / 正面）",
    "Emotion (7 classes)": "情绪（7 类）",
    "One text": "单条文本",
    "Many texts": "多条文本",
    "How does this sentence feel?": "这句话是什么情感？",
    "Analyse": "分析",
    "Prediction": "预测",
    "All classes": "所有类别",
    "Texts, one per line": "文本，每行一条",
    "…or upload a .txt (one per line) or .csv (a `text` column)": "……或上传 .txt（每行一条）或 .csv（含 `text` 列）",
    "Analyse all": "全部分析",
    "Distribution": "分布",
    "Per text": "逐条结果",
    "Download the table (CSV)": "下载表格（CSV）",
    "Six mixed texts": "六条混合文本",
    # Classification
    "Zero-shot (your labels)": "零样本（自定义标签）",
    "Topic model": "主题模型",
    "Paste a headline, a review, a support ticket…": "粘贴一条新闻标题、一条评论或一条客服工单……",
    "Candidate labels (comma-separated)": "候选标签（用逗号分隔）",
    "Zero-shot options": "零样本选项",
    "Labels are not exclusive (score each on its own)": "标签不互斥（每个标签单独打分）",
    "Hypothesis template": "假设模板",
    "Each label fills the {} to make the sentence the NLI model checks.": (
        "每个标签填入 {}，组成 NLI 模型要判断的句子。"
    ),
    "NLI model": "NLI 模型",
    "Classify": "分类",
    "Top classes": "最可能的类别",
    "Every label's score": "每个标签的得分",
    # NER
    "Paste text with people, places, organisations…": "粘贴包含人名、地名、机构名的文本……",
    "Hide entities scored below": "隐藏得分低于此值的实体",
    "NER model": "NER 模型",
    "Find entities": "识别实体",
    "Entities": "实体",
    "Spans": "实体片段",
    # Fill-mask
    "RoBERTa learned language by filling in hidden words: during pre-training 15% of the tokens were masked and it "
    "predicted them from both sides. Type `<mask>` (or `[MASK]`, or `___`) where a word should go, or **click a "
    "word** below to hide it. Several masks are predicted **each on its own**: the model sees the other masks as "
    "masks, not jointly. *Layer by layer* reads each layer's output through the final masked-LM head, which those "
    "layers were not trained for: early layers are noisy, and the answer forms towards the top.": (
        "RoBERTa 通过填补被遮住的词来学习语言：预训练时 15% 的词元被遮住，模型根据两侧的上下文预测它们。"
        "在需要预测的位置输入 `<mask>`（或 `[MASK]`、`___`），或在下方**点击一个词**把它遮住。多个遮罩**各自独立**"
        "预测：模型看到的其他遮罩仍是遮罩，而不是一起预测。*逐层查看*用最终的掩码语言模型头读取每一层的输出"
        "（这些层并没有为此训练）：底层的结果很杂乱，答案在靠近顶层时逐渐成形。"
    ),
    "Text with <mask>": "含 <mask> 的文本",
    "Click a word to mask it": "点击一个词把它遮住",
    "Predictions per mask": "每个遮罩的预测数",
    "Compare words (comma-separated)": "比较的词（用逗号分隔）",
    "he, she": "他, 她",
    "Each word is scored where it would go (after a space it is a different token); rare words piece by piece.": (
        "每个词都按它在该位置的形式打分（英文中前面有空格时是另一个词元）；生僻词逐个词片打分。"
    ),
    "Predict the masked words": "预测被遮住的词",
    "Best fillers put in": "填入最可能的词",
    "Most likely words": "最可能的词",
    "Layer by layer for": "逐层查看：",
    "Layer by layer": "逐层查看",
    "Predictions": "预测",
    "Compared words (green in the chart)": "比较的词（图中绿色）",
    # Vectors
    "Pre-training gives every token a vector that depends on its context. Type a word and sentences that use it in "
    "different senses, and see its vectors part as the layers go up; or leave the word empty and see where whole "
    "texts lie.": (
        "预训练让每个词元得到一个随上下文而变的向量。输入一个词和几个以不同含义使用它的句子，看它的向量如何随层数"
        "升高而分开；或者不填词，看整段文本各自落在哪里。"
    ),
    "Word (optional)": "词（可选）",
    "Dimensions": "维数",
    "A map of many texts": "多条文本的分布图",
    "Colour the points by": "点的颜色表示",
    "its text (each its own colour)": "文本本身（每条一种颜色）",
    "the upload's label column": "上传文件的标签列",
    "predicted sentiment": "预测的情感",
    "predicted emotion": "预测的情绪",
    "predicted topic": "预测的主题",
    "Filled by sampling (each drawn word's probability)": "按采样填入（每个抽中词的概率）",
    "Temperature": "温度",
    "softmax(logits / T): below 1 sharper, above 1 flatter": "softmax(logits / T)：小于 1 更尖锐，大于 1 更平坦",
    "Fill by sampling": "按采样填入",
    "Samples": "采样次数",
    "Top-k (0: every token)": "Top-k（0：所有词元）",
    "Top-p": "Top-p（累积概率）",
    "Where the examples lie, before and after": "样本在向量空间中的位置：微调前后",
    "Before fine-tuning": "微调前",
    "After fine-tuning": "微调后",
    "zero-shot into the Classification tab's labels": "零样本分类（用“分类”页的标签）",
    "Without a word, a text's vector is": "不填词时，文本的向量取",
    "the mean of its tokens": "其所有词元的平均",
    "its <s> token": "其 <s> 词元",
    "Show the vectors": "显示向量",
    "Projection": "投影",
    "Cosine similarity": "余弦相似度",
    "The points are the vectors projected on two directions: the principal components of every layer's vectors at "
    "once, each layer centred and scaled first, so a point that moves between layers moved among the others. A word "
    "of several tokens is the mean of its tokens, at its first use in a text.": (
        "图中的点是向量在两个方向上的投影：这两个方向是所有层的向量合在一起的主成分（每层先各自居中并缩放），"
        "所以一个点在层与层之间的移动，是它相对其他点的移动。由多个词元组成的词取这些词元的平均，"
        "按它在文本中第一次出现的位置。"
    ),
    "The map and similarities": "分布图和相似度",
    "Nearest neighbours": "最近邻",
    "Queries and keys": "查询和键",
    "Click a word to see the words nearest it": "点击一个词，看与它最接近的词",
    "Layer (0: the embeddings)": "层（0：词嵌入）",
    "Neighbours": "近邻个数",
    "Look among": "查找范围",
    "the shipped English sentences": "自带的英文句子",
    "the shipped Chinese sentences": "自带的中文句子",
    "my texts": "我的文本",
    "Nearest words": "最接近的词",
    "in its sentence": "所在句子",
    "cosine": "余弦",
    "Each word's vector is compared with every word of the reference sentences at the same layer (cosine "
    "similarity; a word of several tokens is the mean of its tokens). Low layers find the same word wherever it is; "
    "higher layers find words used in the same sense (exBERT's search).": (
        "在同一层上，把这个词的向量和参考句子中的每一个词比较（余弦相似度；由多个词元组成的词取这些词元的平均）。"
        "低层找到的是同一个词，不管它在哪里；高层找到的是意思相同的用法（exBERT 的检索方式）。"
    ),
    "Every token has a query (circle) and a key (diamond) in each head. A head's weight for a query and a key is "
    "softmax(q·k/√d): the keys are moved and scaled first in a way that changes no weight (AttentionViz), so that "
    "the keys a query attends to lie near it. Lines: its three largest weights.": (
        "每个词元在每个注意力头里都有一个查询（圆点）和一个键（菱形）。一个头给查询和键的权重是 softmax(q·k/√d)："
        "先以不改变任何权重的方式平移和缩放这些键（AttentionViz 的做法），这样查询关注的键就落在它附近。"
        "连线：它最大的三个权重。"
    ),
    # Attention
    "A sentence to look inside…": "输入一个句子，看看模型内部……",
    "Second sentence (optional)": "第二个句子（可选）",
    "Joined by </s></s>, as a pair.": "作为句子对，用分隔符连接。",
    "Model to inspect": "要查看的模型",
    "Show attention": "显示注意力",
    "Layer": "层",
    "Head": "注意力头",
    "Mask a word": "遮住一个词",
    "Where the model looks when it must guess it.": "模型必须猜出这个词时会看向哪里。",
    "Hide <s> and </s>": "隐藏特殊词元（<s>、</s>、[CLS]、[SEP]）",
    "Merge word pieces": "合并词片",
    "bertviz": "bertviz",
    "Heatmaps": "热力图",
    "The formula, step by step": "逐步计算公式",
    "Head view (one layer)": "注意力头视图（一层）",
    "Model view (every layer and head)": "模型视图（所有层和头）",
    "Entropy (bits): low = focused head, high = broad": "熵（比特）：低 = 注意力集中，高 = 注意力分散",
    "Share of attention on <s> / </s>": "分给特殊词元的注意力比例",
    "Share of attention on the previous token": "分给前一个词元的注意力比例",
    "Download this view as a standalone HTML file": "将此视图下载为独立的 HTML 文件",
    "Standalone HTML": "独立 HTML",
    "Inputs longer than **{tokens} tokens** are cut, so the views stay readable and fast.": (
        "超过 **{tokens} 个词元**的输入会被截断，以保证视图清晰、快速。"
    ),
    "Selected head": "选中的注意力头",
    "Head overview": "注意力头概览",
    "Head overview shows": "注意力头概览显示",
    "Mean over heads": "各头平均",
    "Attention rollout": "注意力展开（rollout）",
    "Pick a layer and a head above, and a query token here: the numbers below are the query and key vectors that "
    "head really computed for this text (captured from the model as it ran), then the formula applied to them step "
    "by step.": (
        "在上方选择一层和一个注意力头，并在这里选择一个查询词元：下面的数字是该注意力头对这段文本实际计算出的"
        "查询向量和键向量（在模型运行时捕获），然后逐步套用公式。"
    ),
    "Query token": "查询词元",
    "q·k, scaled, softmax": "q·k、缩放、softmax",
    "q and k": "q 和 k",
    "The output": "输出",
    "Selected head as data": "选中注意力头的数据",
    # Explanations
    "#### Why did it answer that?": "#### 模型为什么这样回答？",
    "Gradient × Input (one backward pass)": "梯度 × 输入（一次反向传播）",
    "Integrated Gradients (more faithful, slower)": "积分梯度（更可靠，较慢）",
    "Method": "方法",
    "Integrated Gradients steps": "积分梯度步数",
    "Empty: the model's own answer.": "留空：解释模型自己的答案。",
    "Class to explain": "要解释的类别",
    "Label to explain": "要解释的标签",
    "Entity to explain (or click one)": "要解释的实体（或点击一个）",
    "Explain": "解释",
    "Each word for (purple) or against (red) the answer": "每个词支持（紫色）或反对（红色）这个答案",
    "The strongest words": "影响最大的词",
    # Fine-tuning
    "Pre-training taught RoBERTa the language; **fine-tuning** teaches it one task. Give it a few labelled examples, "
    "press *Train*, and watch the loss fall: a copy of the base model gets a new classification head, and every step "
    "nudges its weights towards your labels (the base model everyone else uses is not touched). Training only the top "
    "layers is several times faster on a CPU; the whole model learns more from more examples.": (
        "预训练让 RoBERTa 学会了语言，**微调**则教它完成一项任务。给它几个带标签的例子，点击*训练*，看损失下降："
        "基础模型的一个副本会得到新的分类头，每一步都把它的权重向你的标签推进一点（其他人使用的基础模型不受影响）。"
        "在 CPU 上只训练顶部几层要快好几倍；样本更多时，训练整个模型学得更多。"
    ),
    "Start from a preset": "从预设开始",
    "…or upload a CSV (text, label)": "……或上传 CSV（text, label）",
    "Training examples": "训练样本",
    "Held-out examples (empty: a quarter is held out automatically)": "留出样本（留空：自动留出四分之一）",
    "Steps": "步数",
    "Train": "训练",
    "Stop": "停止",
    "Settings": "设置",
    "Base model": "基础模型",
    "Learning rate": "学习率",
    "5e-5 is a common choice for a pre-trained RoBERTa.": "对预训练的 RoBERTa，5e-5 是常用的学习率。",
    "Higher than for a pre-trained model: these untrained models have nothing to forget.": (
        "比预训练模型用的更高：这些未训练的模型没有什么可遗忘的。"
    ),
    "Batch size": "批大小",
    "Max tokens per text": "每条文本的最大词元数",
    "Seed": "随机种子",
    "Train only the top layers (faster)": "只训练顶部几层（更快）",
    "Loss": "损失",
    "#### Each step, in PyTorch\n\n{code}": "#### 每一步的 PyTorch 代码\n\n{code}",
    "Every example, before and after": "每个样本，训练前后",
    "Try your model": "试试你的模型",
    "A new text to classify": "一条新的待分类文本",
    "Classify with the fine-tuned model": "用微调后的模型分类",
    "Fine-tuned answer": "微调模型的回答",
    "Download the fine-tuned model (zip)": "下载微调后的模型（zip）",
    "save_pretrained folder, zipped": "save_pretrained 文件夹（已压缩）",
    # Pre-training
    "RoBERTa learned the language before it learned any task: **pre-training** hides about 15 % of the tokens of "
    "every sequence and trains the model to restore them. Of the chosen tokens, 80 % become `<mask>`, 10 % a random "
    "token and 10 % stay as they are. BERT masked each sequence once and reused that copy every epoch; RoBERTa masks "
    "it anew every time (*dynamic masking*). Below, mask your own text as each would, and see the loss the model "
    "gets on every chosen token; then continue pre-training on a text of your field and watch it adapt.": (
        "RoBERTa 先学会语言，再学具体任务：**预训练**把每个序列中约 15% 的词元遮住，训练模型把它们还原。"
        "被选中的词元里，80% 换成 `<mask>`，10% 换成随机词元，10% 保持不变。"
        "BERT 对每个序列只遮一次，之后每轮都重复使用；RoBERTa 每次都重新遮（*动态遮罩*）。"
        "下面用你自己的文本试试两种遮法，看看模型在每个被选中的词元上的损失；"
        "然后在你所在领域的文本上继续预训练，看它如何适应。"
    ),
    "### Masking, as pre-training does it": "### 像预训练那样遮罩",
    "Your paragraph": "你的段落",
    "Masking": "遮罩方式",
    "Dynamic (RoBERTa): a new masking every epoch": "动态（RoBERTa）：每轮重新遮罩",
    "Static (BERT): one masking, reused": "静态（BERT）：遮一次，重复使用",
    "Epochs": "轮数",
    "Mask": "遮罩",
    "Another epoch": "再来一轮",
    "What the model is given in the last epoch": "最后一轮模型看到的输入",
    "Every chosen token": "每个被选中的词元",
    "### Continued pre-training on your text": "### 在你的文本上继续预训练",
    "**Continued pre-training** (domain adaptation): a copy of the base model keeps pre-training on your text, a "
    "paragraph to a few thousand words. The last fifth is held out: if the loss falls there too, the model learned "
    "the field's language, not just your sentences. The shared base model is not touched.": (
        "**继续预训练**（领域适应）：基础模型的一个副本在你的文本上继续预训练，文本可以是一段话到几千字。"
        "最后五分之一留出不训练：如果那里的损失也下降，说明模型学到的是这个领域的语言，而不只是你的句子。"
        "其他人共用的基础模型不受影响。"
    ),
    "Your text": "你的文本",
    "Tokens per sequence": "每个序列的词元数",
    "Held-out words masked, before and after": "留出部分中被遮住的词：训练前后",
    "epoch": "轮次",
    "given": "模型看到的",
    "kind": "种类",
    "first choice": "首选",
    "loss": "损失",
    "context": "上下文",
    "p before": "训练前概率",
    "p after": "训练后概率",
    # The tour (How RoBERTa works)
    "The text the tour runs on": "导览所用的文本",
    "Show this step on the text": "在这段文本上显示这一步",
    "Your text, token by token (each with its id)": "你的文本，逐个词元（每个都带着编号）",
    "Vectors, layer by layer": "逐层的向量",
    "Measure one step on this server": "在这台服务器上测量一步",
    "More": "更多",
    "← Back": "← 上一步",
    "Next →": "下一步 →",
    "Topic": "主题",
    # What the server writes: messages, notes, charts
    "{name} must be a whole number from {low} to {high}, or null; it was {given}.": (
        "{name} 必须是 {low} 到 {high} 之间的整数，或 null；收到的是 {given}。"
    ),
    "{name} must be a whole number from {low} up, or null; it was {given}.": (
        "{name} 必须是不小于 {low} 的整数，或 null；收到的是 {given}。"
    ),
    "{name} must be a whole number from {low} up; it was {given}.": (
        "{name} 必须是不小于 {low} 的整数；收到的是 {given}。"
    ),
    "{name} must be a whole number from {low} to {high}; it was {given}.": (
        "{name} 必须是 {low} 到 {high} 之间的整数；收到的是 {given}。"
    ),
    "{name} must be a number above {low} and at most {high}; it was {given}.": (
        "{name} 必须是大于 {low} 且不超过 {high} 的数；收到的是 {given}。"
    ),
    "{name} must be a number from {low} to {high}; it was {given}.": (
        "{name} 必须是 {low} 到 {high} 之间的数；收到的是 {given}。"
    ),
    "{name} must be true or false; it was {given}.": ("{name} 必须是 true 或 false；收到的是 {given}。"),
    "{name} must be one of {options}; it was {given}.": ("{name} 必须是以下之一：{options}；收到的是 {given}。"),
    "{name} must be a string; it was {given}.": ("{name} 必须是字符串；收到的是 {given}。"),
    "{name} must be a list of strings or one comma-separated string; it was {given}.": (
        "{name} 必须是字符串列表，或一个用逗号分隔的字符串；收到的是 {given}。"
    ),
    "{name} must be a list of strings or one string with a text per line; it was {given}.": (
        "{name} 必须是字符串列表，或每行一条文本的字符串；收到的是 {given}。"
    ),
    '{name} must be a table {"headers": ["text", "label"], "data": [[text, label], ...]} or a list of [text, '
    "label] rows; it was {given}.": (
        '{name} 必须是表格 {"headers": ["text", "label"], "data": [[文本, 标签], ...]}，或 [文本, 标签] 行的列表；'
        "收到的是 {given}。"
    ),
    "{name} has a lone surrogate (U+{code}) at character {index}, which is not a character: send the text as "
    "valid Unicode.": (
        "{name} 在第 {index} 个字符处有一个孤立的代理项（U+{code}），它不是字符：请以有效的 Unicode 发送文本。"
    ),
    "{endpoint} takes at most {count} values, in this order: {names}.": (
        "{endpoint} 最多接受 {count} 个值，依次为：{names}。"
    ),
    "Choose a seed from 0 to {most}, not {seed}.": ("请选择 0 到 {most} 之间的随机种子，而不是 {seed}。"),
    "{file}, line {line}: {reason}": "{file} 第 {line} 行：{reason}",
    "{file} is empty: there is nothing to read in it.": "{file} 是空的：里面没有可读的内容。",
    "{file} is UTF-32 text: save it as UTF-8 (“CSV UTF-8” in a spreadsheet) and upload it again.": (
        "{file} 是 UTF-32 文本：请另存为 UTF-8（电子表格中的 “CSV UTF-8”）后重新上传。"
    ),
    "{file} has NUL bytes: it is binary, or UTF-16 without a byte-order mark; save it as UTF-8 (“CSV UTF-8” in a "
    "spreadsheet) and upload it again.": (
        "{file} 含有 NUL 字节：它是二进制文件，或没有字节顺序标记的 UTF-16；请另存为 UTF-8（电子表格中的 “CSV UTF-8”）"
        "后重新上传。"
    ),
    "{file} is not UTF-8 or UTF-16 text (byte {offset} is {byte}): save it as UTF-8 (“CSV UTF-8” in a "
    "spreadsheet) and upload it again.": (
        "{file} 不是 UTF-8 或 UTF-16 文本（第 {offset} 个字节是 {byte}）：请另存为 UTF-8（电子表格中的 “CSV UTF-8”）"
        "后重新上传。"
    ),
    "each row needs two columns, the text and then its label; this one has {count}.": (
        "每行需要两列：先是文本，然后是标签；这一行有 {count} 列。"
    ),
    "The folder of model {checkpoint} does not exist or holds no config.json: check its path in the model config "
    "(the server log names it).": (
        "模型 {checkpoint} 的文件夹不存在或其中没有 config.json：请检查模型配置中的路径（服务器日志中有完整路径）。"
    ),
    "Type or paste some text first.": "请先输入或粘贴文本。",
    "The text must be a string, not {kind}.": "文本必须是字符串，而不是 {kind}。",
    "{subject} has {size} {unit}; this server accepts at most {limit}. Shorten it (whoever runs the server can "
    "raise the limit with {variable}).": (
        "{subject}有 {size} 个{unit}；本服务器最多接受 {limit} 个。请缩短（服务器管理员可以用 {variable} 提高上限）。"
    ),
    "Give at least one candidate label, e.g. `sports, politics, technology`.": (
        "请至少给出一个候选标签，例如 `体育, 政治, 科技`。"
    ),
    'The hypothesis template needs exactly one "{}" where the label goes, e.g. "This example is {}."': (
        "假设模板中需要恰好一个 “{}” 放标签，例如 “这是一条{}新闻。”"
    ),
    "Checkpoint {requested} is not configured for {task}; choose one of: {allowed}.": (
        "检查点 {requested} 没有为{task}配置；请从以下选择：{allowed}。"
    ),
    "Put <mask> where a word should be predicted, e.g. “{example}” ([MASK] and ___ work too), or click a word to "
    "mask it.": (
        "在需要预测的位置放一个 [MASK]（<mask> 和 ___ 也可以），例如 “北京是中国的[MASK]都。”，或点击一个词把它遮住。"
    ),
    "Ask for between 1 and {most} predictions per mask (top_k), not {asked}.": (
        "每个遮罩的预测数（top_k）须在 1 到 {most} 之间，而不是 {asked}。"
    ),
    "Compare at most {most} words at a time; this request has {asked}.": (
        "一次最多比较 {most} 个词；本次有 {asked} 个。"
    ),
    "{word} has characters that {checkpoint}'s vocabulary does not have.": (
        "{word} 含有 {checkpoint} 词表中没有的字符。"
    ),
    "Every mask lies beyond the first {tokens} tokens the model reads: move a mask earlier or shorten the text "
    "before it.": ("所有遮罩都在模型能读取的前 {tokens} 个词元之后：请把遮罩往前移，或缩短它前面的文本。"),
    "Type one text per line, or upload a .txt or .csv file.": ("每行输入一条文本，或上传 .txt 或 .csv 文件。"),
    "The texts must be strings: one text per line, or a list of strings.": (
        "文本必须是字符串：每行一条，或一个字符串列表。"
    ),
    "The model found no entity in this text, so there is none to explain.": (
        "模型在这段文本中没有找到实体，因此无从解释。"
    ),
    "{target} is not one of this model's classes: {labels}.": ("{target} 不是这个模型的类别之一：{labels}。"),
    "{target} is not one of the candidate labels: {labels}.": ("{target} 不是候选标签之一：{labels}。"),
    "{target} is not an entity the model found here; choose one of: {names}.": (
        "{target} 不是模型在这里找到的实体；请从以下选择：{names}。"
    ),
    "Integrated Gradients takes {low} to {high} steps, not {steps}.": (
        "积分梯度需要 {low} 到 {high} 步，而不是 {steps}。"
    ),
    "Add some examples first: a text and its label on each row (or load a preset).": (
        "请先添加样本：每行一条文本和它的标签（或载入一个预设）。"
    ),
    "A classifier needs at least two labels, each with at least one training example.": (
        "分类器至少需要两个标签，每个标签至少要有一个训练样本。"
    ),
    "Train for 1 to {most} steps, not {steps}.": ("训练步数须在 1 到 {most} 之间，而不是 {steps}。"),
    "Choose a learning rate above 0 and at most 0.01 (try 5e-5), not {rate}.": (
        "学习率须大于 0 且不超过 0.01（可以试试 5e-5），而不是 {rate}。"
    ),
    "There is no fine-tuned model for this page: train one first. (The server keeps a few at a time, one per "
    "visitor, and lets the oldest go; yours may have been one of them.)": (
        "此页面还没有微调后的模型：请先训练一个。（服务器同时只保留几个，每位访客一个，最早的会被释放；你的可能就是其中之一。）"
    ),
    "{shown} entities shown, {hidden} below the threshold.": ("显示 {shown} 个实体，{hidden} 个低于阈值。"),
    "{shown} entities shown.": "显示 {shown} 个实体。",
    "{count} texts, in batches of {size}.": "共 {count} 条文本，每批 {size} 条。",
    "**{method}** attributions for **{target}**, summed over each word's pieces. They add up to the change in the "
    "output from a baseline of padding tokens within {share} (convergence delta {delta}); more steps bring it "
    "closer.": (
        "对 **{target}** 的 **{method}** 归因，每个词的各个词片相加。它们与输出相对于全填充基线的变化相差在 {share} "
        "以内（收敛误差 {delta}）；步数越多越接近。"
    ),
    "**{method}** attributions for **{target}**, summed over each word's pieces.": (
        "对 **{target}** 的 **{method}** 归因，每个词的各个词片相加。"
    ),
    "Attention shows where the model looks; attributions, which words changed its answer. They often disagree: "
    "attention is not an explanation.": (
        "注意力显示模型看向哪里；归因显示哪些词改变了它的答案。两者常常不一致：注意力不等于解释。"
    ),
    "The input is {total} tokens long; the model reads at most {kept}, so only the first {first} tokens were used.": (
        "输入有 {total} 个词元（一个汉字算一个词元）；模型最多读取 {kept} 个，因此只用了前 {first} 个词元。"
    ),
    "Cannot run this": "无法运行",
    "Missing values": "缺少参数值",
    "Unknown file": "未知文件",
    "Run the attention view first, then export it.": "请先运行注意力视图，再导出。",
    "{endpoint} takes {wanted} values, in this order: {names}; the request sent {sent}, without {required}. "
    "Send at least the values without a default (the API page lists them).": (
        "{endpoint} 接受 {wanted} 个值，依次为：{names}；请求发送了 {sent} 个，缺少 {required}。"
        "请至少发送没有默认值的那些（API 页面列出了它们）。"
    ),
    "{gradio} Upload it first (POST /gradio_api/upload) and send the path that returns.": (
        "{gradio} 请先上传该文件（POST /gradio_api/upload），再发送返回的路径。"
    ),
    "{tokens} tokens, ids from a vocabulary of {size}.": ("{tokens} 个词元，编号取自 {size} 个词元的词表。"),
    "The text was cut to its first {kept} of {total} tokens.": ("文本被截断为 {total} 个词元中的前 {kept} 个。"),
    "The text has no word to hide: type a sentence.": "文本中没有可以遮住的词：请输入一个句子。",
    "{tokens} tokens, {layers} layers × {heads} heads.": ("{tokens} 个词元，{layers} 层 × {heads} 个注意力头。"),
    "The model view of this input is {size} MB of attention data (it holds every head of every layer); the head "
    "view sends one layer at a time.": (
        "这段输入的模型视图有 {size} MB 注意力数据（包含每一层的每个头）；注意力头视图一次只发送一层。"
    ),
    "{count} text(s) were longer than the model reads and were cut to their first tokens.": (
        "{count} 条文本超过了模型能读取的长度，只用了开头的词元。"
    ),
    "Model {checkpoint} is not in the local cache and the Hub cannot be reached: run `python -m roberta_demo "
    "download` while online, or start with `--models tiny`.": (
        "模型 {checkpoint} 不在本地缓存中，且无法连接 Hugging Face Hub：请在联网时运行 `python -m roberta_demo "
        "download`，或用 `--models tiny` 启动。"
    ),
    "Read {typed} as `{mask}`, this model's mask token.": ("已把 {typed} 读作本模型的遮罩词元 `{mask}`。"),
    "{count} mask(s) lie beyond the tokens the model reads and were not predicted; shorten the text before them.": (
        "{count} 个遮罩超出了模型能读取的词元范围，没有预测；请缩短它们前面的文本。"
    ),
    "Each mask is predicted on its own: the model sees the other masks as `{mask}`, not as their best fillers.": (
        "每个遮罩各自独立预测：模型看到的其他遮罩仍是 `{mask}`，而不是它们最可能的填充词。"
    ),
    "Step **{step} / {steps}** · loss **{loss}** · {seconds} s · {rate} steps/s · accuracy at step {at}: "
    "training **{train}**, held out **{held}**": (
        "第 **{step} / {steps}** 步 · 损失 **{loss}** · {seconds} 秒 · 每秒 {rate} 步 · 第 {at} 步的准确率："
        "训练集 **{train}**，留出集 **{held}**"
    ),
    "Step **{step} / {steps}** · loss **{loss}** · {seconds} s · {rate} steps/s · accuracy at step {at}: "
    "training **{train}**": (
        "第 **{step} / {steps}** 步 · 损失 **{loss}** · {seconds} 秒 · 每秒 {rate} 步 · 第 {at} 步的准确率："
        "训练集 **{train}**"
    ),
    "Training ended early: {why}. The model trained so far is kept.": ("训练提前结束：{why}。已训练的模型会保留。"),
    "{count} repeated row(s) were counted once.": "{count} 行重复的样本只计一次。",
    "{count} example(s) were held out automatically to measure generalisation.": (
        "自动留出了 {count} 个样本，用来衡量泛化能力。"
    ),
    "Starting…": "开始……",
    "Chosen: **{share}** of {words} tokens, whole words at a time, over {epochs} epoch(s) (15 % expected) · "
    "`<mask>` **{m}** · random **{r}** · unchanged **{k}** (80 / 10 / 10 expected) · masked-LM loss per epoch: "
    "{losses}": (
        "选中：{epochs} 轮中 {words} 个词元的 **{share}**（按整词选，预期 15%） · `<mask>` **{m}** · 随机 **{r}** · "
        "不变 **{k}**（预期 80 / 10 / 10） · 每轮的遮罩语言模型损失：{losses}"
    ),
    "Chosen: **{share}** of {words} tokens, over {epochs} epoch(s) (15 % expected) · `<mask>` **{m}** · random "
    "**{r}** · unchanged **{k}** (80 / 10 / 10 expected) · masked-LM loss per epoch: {losses}": (
        "选中：{epochs} 轮中 {words} 个词元的 **{share}**（预期 15%） · `<mask>` **{m}** · 随机 **{r}** · "
        "不变 **{k}**（预期 80 / 10 / 10） · 每轮的遮罩语言模型损失：{losses}"
    ),
    "Step **{step} / {steps}** · loss **{loss}** · {seconds} s · {rate} steps/s · held-out perplexity **{first}** "
    "at the start, **{now}** at step {at}": (
        "第 **{step} / {steps}** 步 · 损失 **{loss}** · {seconds} 秒 · 每秒 {rate} 步 · 留出部分的困惑度："
        "开始时 **{first}**，第 {at} 步 **{now}**"
    ),
    "Your text became {train} training and {held} held-out sequence(s) of up to {tokens} tokens.": (
        "你的文本被切成 {train} 个训练序列和 {held} 个留出序列，每个最多 {tokens} 个词元。"
    ),
    "The text has {count} token(s): too few to mask (about one in seven is chosen). Write a sentence or two.": (
        "这段文本只有 {count} 个词元，太少了，没什么可遮（大约七个里选一个）。请写一两句话。"
    ),
    "The text has {count} token(s); continued pre-training needs at least {least}, to train on part of it and "
    "hold out the rest. Paste a paragraph or more.": (
        "这段文本只有 {count} 个词元；继续预训练至少需要 {least} 个，才能用一部分训练、留出其余部分。"
        "请粘贴一段或更多文字。"
    ),
    "Draw 1 to {most} epochs, not {given}.": "请遮 1 到 {most} 轮，而不是 {given}。",
    "Dynamic masking: a new draw every epoch": "动态遮罩：每轮重新抽取",
    "Static masking: one draw, every epoch": "静态遮罩：抽取一次，每轮相同",
    "The masked-LM loss, step by step": "遮罩语言模型损失，逐步变化",
    "masked-LM loss": "遮罩语言模型损失",
    "loss of each step's batch": "每步批次的损失",
    "loss on your text (fixed masking)": "你的文本上的损失（固定遮罩）",
    "loss on the held-out part": "留出部分的损失",
    "epoch {number}": "第 {number} 轮",
    "random token": "随机词元",
    "unchanged": "保持不变",
    "held out": "留出",
    "training": "训练",
    "✔ now right": "✔ 现在对了",
    "✘ now wrong": "✘ 现在错了",
    "Nothing is training on this page.": "此页面没有正在进行的训练。",
    "Something went wrong while running the model; the error is in the server log. Try again, or try a shorter text.": (
        "运行模型时出错了，错误信息记录在服务器日志中。请重试，或换一段较短的文本。"
    ),
    "layer {number}": "第 {number} 层",
    "embeddings": "词嵌入",
    "top here": "本层首选",
    "Class probabilities": "各类别概率",
    "Topic scores (each topic on its own)": "主题得分（每个主题单独打分）",
    "Label scores (each label on its own)": "标签得分（每个标签单独打分）",
    "Label scores": "标签得分",
    "Top class across texts": "各文本的最可能类别",
    "independent score (multi-label)": "独立得分（多标签）",
    "number of texts": "文本数",
    "weight, on the 0–1 scale": "权重（0–1 标尺）",
    "weight, stretched to this map's range": "权重（按本图的范围拉伸）",
    "0–1 scale": "0–1 标尺",
    "Stretch the scale": "拉伸标尺",
    "columns: key (attended to)": "列：键（被关注的词元）",
    "query (attending)": "查询（发出注意的词元）",
    "head": "注意力头",
    "layer": "层",
    "Layer {layer}, head {head}: queries and keys ({count} tokens)": (
        "第 {layer} 层第 {head} 个注意力头：查询和键（{count} 个词元）"
    ),
    "Layer {layer}, head {head}": "第 {layer} 层，第 {head} 个注意力头",
    "Layer {layer}, mean over {heads} heads": ("第 {layer} 层，{heads} 个注意力头的平均"),
    "Attention rollout, layers 0–{layer}": "注意力展开，第 0–{layer} 层",
    "Why “{target}”: the strongest words": "为什么是 “{target}”：影响最大的词",
    "attribution: for (+) or against (−)": "归因：支持（+）或反对（−）",
    "attention rollout": "注意力展开",
    "Most likely words at each mask": "每个遮罩处最可能的词",
    "mask {number}": "遮罩 {number}",
    "Layer by layer, mask {number}": "逐层查看，遮罩 {number}",
    "The loss, step by step": "逐步的损失",
    "step": "步",
    "training loss": "训练损失",
    "accuracy": "准确率",
    "The query and the keys, head {head}": "查询和键，第 {head} 个注意力头",
    "dimension (d_k = {dk})": "维度（d_k = {dk}）",
    "Where “{query}” looks, step by step": "“{query}” 看向哪里：逐步计算",
    "softmax: the weights": "softmax：权重",
    "weight × ‖v‖": "权重 × ‖v‖",
    "The output: mostly “{token}”": "输出：主要来自 “{token}”",
    "Where each text's vector lies, layer by layer": "每条文本的向量所在位置（逐层）",
    "How alike the vectors are (cosine), layer by layer": "向量之间有多相似（余弦），逐层",
    "PC1 ({share})": "第一主成分（{share}）",
    "PC2 ({share})": "第二主成分（{share}）",
    "The word is several tokens here ({pieces}): its vector is the mean of theirs.": (
        "这个词在这里由多个词元组成（{pieces}）：它的向量是这些词元向量的平均。"
    ),
    "Not in every text, so left out: line {lines}.": ("这个词不在每条文本中，以下行未计入：第 {lines} 行。"),
    "One vector: a projection and a comparison need at least two texts.": (
        "只有一个向量：投影和比较至少需要两条文本。"
    ),
    "The similarities are drawn for the first {count} texts.": ("相似度只画出前 {count} 条文本。"),
    "The word {word} is in none of the texts: type texts that use it.": (
        "词 {word} 不在任何一条文本中：请输入用到它的文本。"
    ),
    "Choose a pooling among {poolings}.": "请从以下方式中选择：{poolings}。",
    "Choose a projection among {projections}, in 2 or 3 dimensions.": (
        "请从以下投影方式中选择：{projections}，维数为 2 或 3。"
    ),
    "To colour by label, upload a .csv with a text column and a label column.": (
        "要按标签着色，请上传一个含 text 列和 label 列的 .csv 文件。"
    ),
    "UMAP needs {low} to {high} texts: PCA drew this map.": ("UMAP 需要 {low} 到 {high} 条文本：此图由 PCA 绘制。"),
    "The word has {size} characters; at most {limit} are accepted.": ("这个词有 {size} 个字符；最多接受 {limit} 个。"),
    "The word must be a string, not {kind}.": "词必须是字符串，而不是 {kind}。",
    "The {count} words nearest {word} at {layer}, among {searched} words of {where}.": (
        "在{layer}，{word} 最接近的 {count} 个词（共比较了{where}中的 {searched} 个词）。"
    ),
    "the embeddings": "词嵌入层",
    "There is no word in the texts to look for: type a sentence.": ("文本里没有可以查找的词：请输入一个句子。"),
    "Choose a word from 0 to {last}.": "请选择 0 到 {last} 之间的词。",
    "The word {word} is in none of the texts: type texts that use it, or pick a word.": (
        "词 {word} 不在任何一条文本中：请输入用到它的文本，或点选一个词。"
    ),
    "Choose a reference among {references}.": "请从以下参考范围中选择：{references}。",
    "Ask for 1 to {most} neighbours.": "近邻个数须在 1 到 {most} 之间。",
    "Choose a layer from 0 (the embeddings) to {last}.": ("请选择 0（词嵌入）到 {last} 之间的层。"),
    "Queries and keys are drawn for at most {most} texts; {count} were given.": (
        "查询和键最多画 {most} 条文本；收到了 {count} 条。"
    ),
    "The first {count} texts are drawn.": "只画出前 {count} 条文本。",
    "The query of {token} gives most weight to: {top}. Keys were moved and scaled without changing any weight, "
    "so that a query lies near the keys it attends to.": (
        "{token} 的查询把最大的权重给了：{top}。键经过了平移和缩放，但没有改变任何权重，所以查询会落在它关注的键附近。"
    ),
    "queries": "查询",
    "At temperature {t}: every probability is softmax(logits / {t2}).": (
        "温度为 {t}：每个概率都是 softmax(logits / {t2})。"
    ),
    "Choose a temperature from {low} to {high}, not {given}.": ("请选择 {low} 到 {high} 之间的温度，而不是 {given}。"),
    "Draw from 0 to {most} samples, not {given}.": ("采样次数须在 0 到 {most} 之间，而不是 {given}。"),
    "Sample with top_k 0 (all) or more, top_p above 0 and at most 1, and a seed from 0 to {most}.": (
        "采样时 top_k 须为 0（全部）或更大，top_p 须大于 0 且不超过 1，随机种子须在 0 到 {most} 之间。"
    ),
    "Before fine-tuning: each example's &lt;s&gt; vector": ("微调前：每个样本的 &lt;s&gt; 向量"),
    "After fine-tuning: the same examples": "微调后：同样的样本",
    "keys": "键",
    "chosen query": "选中的查询",
    "The model has {count} layers: layer is 0 (the embeddings) to {last} (the last layer), not {layer}.": (
        "该模型有 {count} 层：layer 取 0（词嵌入）到 {last}（最后一层），而不是 {layer}。"
    ),
    # The words a limit message names
    "The text": "文本",
    "The request": "本次请求",
    "The label list": "标签列表",
    "The examples": "样本",
    "The run": "本次训练",
    "The file": "文件",
    "characters": "字符",
    "masks": "遮罩",
    "labels": "标签",
    "examples": "样本",
    "rows": "行",
    "texts": "文本",
    "Emotion": "情绪分析",
    "The word {word}… has {size} characters; compare words of at most {most}.": (
        "词 {word}… 有 {size} 个字符；请比较不超过 {most} 个字符的词。"
    ),
    "{word} is {count} tokens for this model; compare words of at most {most}.": (
        "{word} 在这个模型中是 {count} 个词元；请比较不超过 {most} 个词元的词。"
    ),
    "The text is too long to compare words of several tokens in it; shorten the text.": (
        "文本太长，无法在其中比较由多个词元组成的词；请缩短文本。"
    ),
    "Model {checkpoint} cannot do zero-shot classification: its labels ({labels}) have no "
    "'entailment'. Configure an NLI checkpoint such as cross-encoder/nli-distilroberta-base.": (
        "模型 {checkpoint} 无法做零样本分类：它的标签（{labels}）中没有 'enta"
        "ilment'。请配置一个自然语言推理（NLI）检查点，例如 cross-encoder/nli"
        "-distilroberta-base。"
    ),
    "Choose a layer from 0 to {last}; this model has {count}.": (
        "请选择 0 到 {last} 之间的层；这个模型有 {count} 层。"
    ),
    "Choose a head from 0 to {last}.": ("请选择 0 到 {last} 之间的注意力头。"),
    "Choose a query token from 0 to {last}.": ("请选择 0 到 {last} 之间的查询词元。"),
    "The measured step did not finish.": ("测量的那一步没有完成。"),
    "Explanations exist for {tasks}; not for {task}.": ("可以解释的任务有 {tasks}；{task} 不在其中。"),
    "Choose the method grad_x_input or integrated_gradients, not {method}.": (
        "请选择 grad_x_input 或 integrated_gradients 方法，而不是 {method}。"
    ),
    "Explanations need gradients, which int8-quantised models do not have: start without --quantize.": (
        "解释需要梯度，而 int8 量化的模型没有梯度：请不加 --quantize 启动。"
    ),
    "That entity lies beyond the tokens the model reads at once; explain one nearer the start.": (
        "这个实体超出了模型一次能读取的词元范围；请解释一个更靠前的实体。"
    ),
    'The examples must be a table: {"headers": ["text", "label"], "data": [[text, label], '
    "...]} (or a list of [text, label] rows), not {given}.": (
        '样本必须是表格：{"headers": ["text", "label"], "data": ['
        "[文本, 标签], ...]}（或 [文本, 标签] 行的列表），而不是 {given}。"
    ),
    "Held-out label(s) {labels} have no training example; add some.": (
        "留出集中的标签 {labels} 没有训练样本；请补充一些。"
    ),
    "Choose a batch size from 1 to 64, not {size}.": ("批大小须在 1 到 64 之间，而不是 {size}。"),
    "Keep 8 to {most} tokens per text, not {tokens}.": ("每条文本保留的词元数须在 8 到 {most} 之间，而不是 {tokens}。"),
    "{checkpoint} cannot be fine-tuned here: its encoder does not fit a classifier.": (
        "{checkpoint} 无法在这里微调：它的编码器与分类器不匹配。"
    ),
    "Zero-shot classification": ("零样本分类"),
    "Named entities": ("命名实体"),
    "Fine-tuning": ("微调"),
    "{task} has no model in this profile.": ("当前配置中没有{task}模型。"),
    "Model {checkpoint} did not load completely ({detail}); try again.": (
        "模型 {checkpoint} 没有完整加载（{detail}）；请重试。"
    ),
    "{missing} ({detail})": ("{missing}（{detail}）"),
    "Model {checkpoint} is cached but could not be loaded ({detail}). Its files may be corrupt "
    "or incomplete: delete it (`hf cache delete`) and run `python -m roberta_demo download` "
    "again.": (
        "模型 {checkpoint} 已缓存，但无法加载（{detail}）。它的文件可能损坏或不完整"
        "：请删除它（`hf cache delete`）后重新运行 `python -m roberta"
        "_demo download`。"
    ),
    "Checkpoint {checkpoint} is not configured on this server.": ("本服务器没有配置检查点 {checkpoint}。"),
    "{what} took longer than {seconds} s on the Ray cluster; try again.": (
        "{what}在 Ray 集群上超过了 {seconds} 秒；请重试。"
    ),
    "{what} failed: the Ray worker running it stopped ({kind}). Ray restarts it; try again in a moment.": (
        "{what}失败了：运行它的 Ray 工作进程停止了（{kind}）。Ray 会重启它；请稍后重试。"
    ),
    "The request to {checkpoint}": ("对 {checkpoint} 的请求"),
    "Your fine-tuned model's request": ("对你微调模型的请求"),
    "The fine-tuning run": ("本次微调"),
    "words": ("词"),
    "The label {label}…": ("标签 {label}…"),
    "{count} row(s) with an empty text or label were left out.": ("{count} 行文本或标签为空，已略去。"),
    "{count} text(s) are longer than {tokens} tokens and were cut to their first tokens.": (
        "{count} 条文本超过 {tokens} 个词元，只用了开头的词元。"
    ),
    "several tokens": ("多个词元"),
    "Σ weight · v (computed here)": ("Σ 权重 · v（这里计算）"),
    "the model's output": ("模型的输出"),
    "stopped": ("已停止"),
    "the server's time limit of {seconds} s (ROBERTA_DEMO_MAX_TRAIN_SECONDS)": (
        "服务器的时间上限 {seconds} 秒（ROBERTA_DEMO_MAX_TRAIN_SECONDS）"
    ),
    "This event": ("此事件"),
    "Loading {checkpoint} (first use; downloading it if it is not cached)…": (
        "正在加载 {checkpoint}（首次使用；若未缓存则先下载）……"
    ),
    "Answered by `{checkpoint}` on **{device}** in **{ms} ms**.": (
        "由 `{checkpoint}` 在 **{device}** 上回答，用时 **{ms} ms**。"
    ),
    "The model sees a mask where the word was. [What does it guess there? Open it in Fill-mask →](?{query})": (
        "模型在原来那个词的位置看到的是一个遮罩。[它会猜什么？在完形填空中打开 →](?{query})"
    ),
    "cosine with layer 0": ("与第 0 层的余弦"),
    "The model has {count} {name}s, numbered 0 to {last}; {name} {value} is not one.": (
        "该模型有 {count} 个 {name}，编号为 0 到 {last}；{name} {value} 不在其中。"
    ),
    "Where <s> looks, before and after": ("[CLS]/<s> 看向哪里：训练前后"),
    "attention rollout from <s>": ("从 [CLS]/<s> 出发的注意力展开"),
    "{error}.": ("{error}。"),
    "profile <b>{profile}</b> · device <b>{device}</b> · v{version}": (
        "配置 <b>{profile}</b> · 设备 <b>{device}</b> · v{version}"
    ),
    "Layer {layer}, head {head} (of {heads}): each head works on $d_k = {hidden} / {heads} = {per_head}$ "
    "numbers per token. For the query token {token} (position {query}), its weight on token $j$ is "
    "$a_j = \\text{softmax}_j\\left(\\frac{q \\cdot k_j}{\\sqrt{{per_head}}}\\right)$, and its output is "
    "$\\sum_j a_j v_j$.": (
        "第 {layer} 层，第 {head} 个注意力头（共 {heads} 个）：每个头对每个词元处理 "
        "$d_k = {hidden} / {heads} = {per_head}$ 个数。对查询词元 {token}（位置 {query}），它分给词元 $j$ 的权重是 "
        "$a_j = \\text{softmax}_j\\left(\\frac{q \\cdot k_j}{\\sqrt{{per_head}}}\\right)$，"
        "它的输出是 $\\sum_j a_j v_j$。"
    ),
    "**Check:** the softmax computed here from the captured q and k and the attention weights the model "
    "returned {agreement} each other: largest difference {difference}.": (
        "**核对：** 这里用捕获的 q 和 k 算出的 softmax 与模型返回的注意力权重{agreement}，最大差值为 {difference}。"
    ),
    "equal": "一致",
    "differ from": "不一致",
}
