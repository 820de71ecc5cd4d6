"""The tour's words, in both languages: one structure, a list of steps per language, the same steps in the same order.

A step's `lead` is what the room reads (a few lines: the live view below it says the rest); `more` is behind an
expander, for whoever wants the detail; `links` open the full tab. `{layers}`, `{heads}`, `{hidden}`, `{d_k}`,
`{vocabulary}` and `{total_heads}` are the loaded model's own figures (roberta-base's until it has loaded).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from roberta_demo.ui import vectors

__all__ = ["BERT_VERSUS_ROBERTA", "MODEL_LINE", "STEPS", "UNLOADED", "TourStep", "try_it"]


def try_it(tab: str, text: str = "", view: str = "", **fields: str) -> str:
    """A deep link into a live view (the page keeps presentation mode and the theme when it follows it); `fields`:
    the tab's other boxes a link fills (`word=` on the vectors tab)."""
    query = {"tab": tab, **({"view": view} if view else {}), **fields, **({"text": text} if text else {})}
    return f"?{urlencode(query)}"


@dataclass(frozen=True)
class TourStep:
    title: str
    lead: str  # Markdown, with the model's figures
    more: str  # Markdown, behind "More"
    links: tuple[tuple[str, str], ...] = ()  # (link, its text): the full tab


ANIMAL = "The animal didn't cross the street because it was too tired."
BERT_VERSUS_ROBERTA = {
    "en": """\
| | BERT (2018) | RoBERTa (2019) |
|---|---|---|
| masking | static: masks drawn once, the data copied 10 times | dynamic: new masks each time a text is seen |
| next-sentence prediction | yes | removed: inputs are full sentences, up to 512 tokens |
| batch | 256 sequences | 8,000 sequences |
| training data | 16 GB (books, Wikipedia) | 160 GB (adds news, web text, stories) |
| vocabulary | 30,000 WordPiece pieces | byte-level BPE: {vocabulary:,} here, no unknown characters |
""",
    "zh": """\
| | BERT (2018) | RoBERTa (2019) |
|---|---|---|
| 掩码 | 静态：遮罩只选一次，数据复制 10 份 | 动态：每次看到文本都重新选择遮罩 |
| 下一句预测 | 有 | 去掉了：输入是完整的句子，最长 512 个词元 |
| 批大小 | 256 个序列 | 8,000 个序列 |
| 训练数据 | 16 GB（图书、维基百科） | 160 GB（加上新闻、网页文本、故事） |
| 词表 | 30,000 个 WordPiece 词片 | 字节级 BPE：这里有 {vocabulary:,} 个，没有未知字符 |
""",
}
MODEL_LINE = {
    "en": "The model behind these pages is **{name}**: {layers} layers, {heads} heads per layer, vectors of {hidden} "
    "numbers, {millions:,.1f} million parameters, up to {max_tokens} tokens at a time.",
    "zh": "这些页面背后的模型是 **{name}**：{layers} 层，每层 {heads} 个注意力头，向量有 {hidden} 个数，"
    "共 {millions:,.1f} 百万个参数，一次最多读取 {max_tokens} 个词元。",
}
UNLOADED = {
    "en": "*The figures below are roberta-base's until this page's model has loaded.*",
    "zh": "*在本页的模型加载之前，下面的数字是 roberta-base 的。*",
}

STEPS = {
    "en": [
        TourStep(
            "Tokens",
            "RoBERTa never sees letters or words: its tokenizer cuts your text into pieces from a vocabulary of "
            "**{vocabulary:,}**, and the model reads only their numbers. Below: your text, piece by piece, each with "
            "its id.",
            "A byte-level BPE tokenizer: common words are one piece; rare words, names and emoji are several (any "
            "byte can be spelled, so no character is unknown). `Ġ` in a piece's spelling marks a piece that starts "
            "after a space; `<s>` … `</s>` mark where the text begins and ends.",
            ((try_it("attention", ANIMAL, "head"), "See the pieces of a sentence in the attention view"),),
        ),
        TourStep(
            "Vectors",
            "Each token becomes a vector of **{hidden}** numbers, and each of the {layers} layers rewrites it from "
            "the whole text. The chart: how much of each token's first vector survives, layer by layer.",
            "Layer 0 is the looked-up embedding plus the position: the same for a word in every sentence. Each cell "
            "is the cosine between a token's vector at that layer and at layer 0 (1: unchanged); hover for the "
            "vector's length. As context mixes in, *bank* by a river and *bank* with money drift apart: the Vectors "
            "tab shows one word's vectors across sentences, and what fine-tuning builds on.",
            (
                (
                    try_it("vectors", "\n".join(vectors.SENSES["en"][1][:4]), word="bank"),
                    "Watch one word part with its senses",
                ),
                (
                    try_it("vectors", vectors.SENSES["en"][1][0], "neighbours", word="bank"),
                    "Find the words nearest *bank*",
                ),
            ),
        ),
        TourStep(
            "Self-attention",
            "In each layer, every token asks a question (its query q) of every token's key k, and takes a weighted "
            "average of their values v. Below, the formula computed on your text, from the q and k the model "
            "produced: where the first word looks, step by step.",
            "Here $d_k = {hidden} / {heads} = {d_k}$: dividing by $\\sqrt{{d_k}}$ keeps the scores in a range where "
            "the softmax does not saturate. Below, the formula is computed for one head of the first layer, from the "
            "q and k the model really produced for your text, for the first word as the query.",
            ((try_it("attention", ANIMAL, "formula"), "Step through the formula for any head and token"),),
        ),
        TourStep(
            "Heads and layers",
            "Each layer runs **{heads} heads** side by side, and the model stacks **{layers} layers**: "
            "**{total_heads} heads** in all. Below, every one of them on your text; click a head to open it.",
            "Heads specialise: some look at the previous token, some at `</s>` (a way of looking at nothing), some "
            "link a pronoun to its noun. Each layer's output is the next one's input.",
            ((try_it("attention", ANIMAL, "model"), "Open the heads in the attention tab"),),
        ),
        TourStep(
            "Guess the hidden word",
            "RoBERTa learned all this without labels, by filling in hidden words from both sides. Below, a word of "
            "your text is masked (or your own `<mask>`). The temperature reshapes the guess: softmax(logits / T).",
            "Below 1 the distribution sharpens towards the first choice; above 1 it flattens, and sampling draws "
            "rarer words: the same model answers differently. The sampled fills are seeded, so a slide shows the "
            "same draw again.",
            ((try_it("fill-mask", "The capital of France is <mask>."), "Fill masks, with the layer-by-layer lens"),),
        ),
        TourStep(
            "Dynamic masking",
            "In pre-training, 15 % of the tokens are chosen: of those, 80 % become `<mask>`, 10 % a random token, "
            "10 % stay as they are. RoBERTa draws a new masking each time it sees a text; BERT drew one and reused "
            "it.",
            "The masking is transformers' own `DataCollatorForLanguageModeling`, seeded; the Chinese whole-word "
            "models mask whole words. Each row of the grid is an epoch; the loss is the model's masked-LM loss on "
            "that draw.\n\n{bert_versus_roberta}",
            ((try_it("pre-train"), "Mask a paragraph of your own, draw after draw"),),
        ),
        TourStep(
            "Continued pre-training",
            "The same training, live: a few masked-LM steps on a copy of the model, on your text. The loss on the "
            "text, and on a part held out from it, falls as the model adapts to its words.",
            "This is domain adaptation: continued pre-training on a field's text (medicine, law) before fine-tuning. "
            "The copy is yours for this page's session; the shared model never changes. Each step masks its batch "
            "anew, and the checks use one fixed masking so that they compare.",
            ((try_it("pre-train"), "Train on a longer text, with held-out fills before and after"),),
        ),
        TourStep(
            "Fine-tuning",
            "To classify, a small head reads the final vector of `<s>` and is trained, with the network, on "
            "labelled examples. Pre-training taught the language; fine-tuning teaches the task.",
            "A few thousand tweets for sentiment, sentences with tagged names for NER. The step is a few lines of "
            "PyTorch (below): the loss of the model's answers, its gradients, a small step of every weight against "
            "them. The Fine-tune tab runs it live on a preset and charts the loss.",
            ((try_it("fine-tune"), "Fine-tune one yourself and watch it learn"),),
        ),
        TourStep(
            "What training costs",
            "RoBERTa's pre-training took a thousand data-centre GPUs. Measure one step on this server, and the page "
            "works out how long the whole of it would take here.",
            "From the paper (Liu et al., 2019, *RoBERTa: A Robustly Optimized BERT Pretraining Approach*): mixed "
            "precision on DGX-1 machines of 8 × 32 GB V100 GPUs (§3.1); 100K steps of 8K sequences on 1,024 V100s "
            "took about a day (§5); the released models trained 500K steps of 8K sequences of up to 512 tokens "
            "(§5, Table 9). The estimate here is a lower bound: longer sequences cost more per token.",
        ),
        TourStep(
            "What it is used for",
            "The tutorial's three applications, on your text: its sentiment, its topic, and the names in it, each "
            "from a RoBERTa fine-tuned for that task.",
            "Each is the pre-trained network with its own small head, fine-tuned on labelled data: the same "
            "vectors, read three ways. Each tab goes further: many texts at once, labels you type, word "
            "attributions.",
            (
                (try_it("sentiment"), "Sentiment and emotion"),
                (try_it("classification"), "Zero-shot and topic classification"),
                (try_it("ner"), "Named entities"),
            ),
        ),
    ],
    "zh": [
        TourStep(
            "词元",
            "RoBERTa 看到的不是字母或词语：分词器把文本切成词表中的片段（这个模型的词表有 **{vocabulary:,}** 个），"
            "模型读到的只是它们的编号。下面是你的文本，一个片段一个片段地列出，每个片段带着它的编号。",
            "英文 RoBERTa 用字节级 BPE：常见词是一个片段，生僻词、人名和表情符号是几个（任何字节都能拼出来，"
            "所以没有未知字符）；`Ġ` 表示片段前有空格，`<s>` … `</s>` 标出文本的开头和结尾。中文 RoBERTa（如 "
            "hfl/chinese-roberta-wwm-ext）用 WordPiece，每个汉字是一个词元，开头和结尾是 `[CLS]` … `[SEP]`。",
            ((try_it("attention", ANIMAL, "head"), "在注意力视图中看一个句子的词元"),),
        ),
        TourStep(
            "向量",
            "每个词元变成一个有 **{hidden}** 个数的向量，{layers} 层中的每一层都根据整段文本改写它。"
            "图中显示：逐层来看，每个词元最初的向量还剩多少。",
            "第 0 层是查表得到的词向量加上位置：同一个词在每个句子里都一样。每个格子是词元在这一层的向量与第 0 层向量的"
            "余弦（1：没有变化）；把鼠标放上去可以看到向量的长度。随着上下文被混进来，水果的*苹果*和公司的*苹果*渐渐分开："
            "“向量”页显示一个词在不同句子中的向量，也就是微调的基础。",
            (
                (try_it("vectors", "\n".join(vectors.SENSES["zh"][1]), word="苹果"), "看一个词的向量如何随词义分开"),
                (try_it("vectors", vectors.SENSES["zh"][1][2], "neighbours", word="苹果"), "找出与*苹*最接近的字"),
            ),
        ),
        TourStep(
            "自注意力",
            "在每一层里，每个词元用它的查询 q 去问每个词元的键 k，再对它们的值 v 取加权平均。"
            "下面用模型为你的文本算出的 q 和 k 计算这个公式：第一个词看向哪里，一步一步。",
            "这里 $d_k = {hidden} / {heads} = {d_k}$：除以 $\\sqrt{{d_k}}$ 让得分保持在 softmax 不会饱和的范围内。"
            "下面用模型对你的文本实际算出的 q 和 k，以第一个词为查询，计算第一层一个头的公式。",
            ((try_it("attention", ANIMAL, "formula"), "对任意一个头和词元逐步计算公式"),),
        ),
        TourStep(
            "多个头，多层",
            "每一层并行运行 **{heads} 个注意力头**，模型堆叠了 **{layers} 层**：一共 **{total_heads} 个头**。"
            "下面是它们在你的文本上的样子；点击一个头可以放大。",
            "不同的头各有分工：有的看前一个词元，有的看 `</s>`（相当于什么都不看），有的把代词和它指代的名词联系起来。"
            "每一层的输出是下一层的输入。",
            ((try_it("attention", ANIMAL, "model"), "在注意力页中打开这些头"),),
        ),
        TourStep(
            "猜出被遮住的词",
            "RoBERTa 不需要标注就学会了这一切：根据两侧的上下文填出被遮住的词。下面遮住了你文本中的一个词"
            "（或者你自己写的 `<mask>`）。温度会改变猜测的分布：softmax(logits / T)。",
            "温度低于 1 时分布更集中于第一选择；高于 1 时更平坦，采样会抽到更少见的词：同一个模型会给出不同的答案。"
            "采样有固定的随机种子，所以同一张幻灯片会再次显示同样的结果。",
            ((try_it("fill-mask", "北京是中国的[MASK]都。"), "填空，并逐层查看答案如何成形"),),
        ),
        TourStep(
            "动态掩码",
            "预训练时选出 15% 的词元：其中 80% 换成 `<mask>`，10% 换成随机词元，10% 保持不变。"
            "RoBERTa 每次看到一段文本都重新抽取遮罩；BERT 只抽一次，反复使用。",
            "遮罩由 transformers 自己的 `DataCollatorForLanguageModeling` 生成，带随机种子；"
            "中文整词掩码模型会遮住整个词。网格的每一行是一个轮次；损失是模型在这次抽取上的掩码语言模型损失。\n\n{bert_versus_roberta}",
            ((try_it("pre-train"), "对你自己的段落一次又一次地抽取遮罩"),),
        ),
        TourStep(
            "继续预训练",
            "同样的训练，现场进行：在模型的一个副本上，用你的文本做几步掩码语言模型训练。"
            "随着模型适应这些词语，文本上的损失和留出部分上的损失都会下降。",
            "这就是领域适应：在微调之前，先在某个领域的文本（医学、法律）上继续预训练。副本只属于这个页面的会话；"
            "共享的模型永远不会改变。每一步都重新遮罩它的批次，而检查用的是同一个固定遮罩，这样才能比较。",
            ((try_it("pre-train"), "在更长的文本上训练，并比较训练前后对留出词的预测"),),
        ),
        TourStep(
            "微调",
            "做分类时，一个小的分类头读取 `<s>`（`[CLS]`）的最终向量，并和整个网络一起在带标签的样本上训练。"
            "预训练教会了语言，微调教会了任务。",
            "情感分析用几千条评论，命名实体识别用标注了人名地名的句子。训练的一步只有几行 PyTorch（见下）："
            "计算模型答案的损失和梯度，让每个权重朝反方向走一小步。“微调”页会在预设数据上现场运行并画出损失。",
            ((try_it("fine-tune"), "自己微调一个模型，看它学习"),),
        ),
        TourStep(
            "训练要花多少",
            "RoBERTa 的预训练用了上千块数据中心 GPU。在这台服务器上测一步训练，"
            "页面会算出在这里完成全部预训练需要多久。",
            "论文（Liu et al., 2019, *RoBERTa: A Robustly Optimized BERT Pretraining Approach*）：在 DGX-1 机器上"
            "（每台 8 块 32 GB V100 GPU）用混合精度训练（§3.1）；在 1,024 块 V100 上训练 10 万步、每步 8K 个序列，"
            "大约用了一天（§5）；发布的模型训练了 50 万步，每步 8K 个最长 512 个词元的序列（§5，表 9）。"
            "这里的估算是下限：序列越长，每个词元的计算越多。",
        ),
        TourStep(
            "用在哪里",
            "教程提到的三种应用，用在你的文本上：它的情感、它的主题、其中的名字，"
            "每一种都来自为该任务微调过的 RoBERTa。",
            "每一种都是预训练网络加上自己的小分类头，在带标签的数据上微调：同样的向量，三种读法。"
            "每个页面都能走得更远：一次分析很多文本、自己输入标签、词语归因。",
            (
                (try_it("sentiment"), "情感和情绪"),
                (try_it("classification"), "零样本分类和主题分类"),
                (try_it("ner"), "命名实体"),
            ),
        ),
    ],
}
