# ruff: noqa: E501  (the hand-checked samples are one entry a line)
"""The shape rules on the seven real lists of tests/data (sources in tests/data/lists/README.md).

For each list, a rule written by hand from reading the file says which lines are its entries
(every numbered bold title, every table row of papers, …); the parser must read ≥ 95% of
them, and ≥ 95% of what it reads must be among them. The exact counts are pinned too, so a
change shows. A hand-checked sample of entries per list pins title, paper link and arXiv id.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rlhf_reader.lists.catalog import load, parse
from rlhf_reader.model import Catalog, Entry

DATA = Path(__file__).resolve().parent / "data"
LISTS = DATA / "lists"
FILES = {
    "magnetic": LISTS / "Magnetic2014_llm-alignment-survey_README.md",
    "hannibal": LISTS / "Hannibal046_Awesome-LLM_README.md",
    "dair": LISTS / "dair-ai_ML-Papers-of-the-Week_README.md",
    "woooodyy": LISTS / "WooooDyy_LLM-Agent-Paper-List_README.md",
    "floodsung": LISTS / "floodsung_Deep-Learning-Papers-Reading-Roadmap_README.md",
    "terryum": LISTS / "terryum_awesome-deep-learning-papers_README.md",
    "opendilab": DATA / "opendilab_awesome-RLHF_README.md",
}

# Which lines are entries, by reading each file (first line of the content, rule, count):
# - magnetic: every numbered item opens with a bold title ("5. **Title.** …").
# - hannibal: the Milestone Papers table rows ("| 2021-08 | …") and every "- [Name](url)"
#   bullet that is not a table of contents link (tools, models, courses: entries of the list).
# - dair: every weekly table row "| 4) Title  description | [Paper](…) |".
# - woooodyy: every "- [2023/06] **Title.**" bullet (news bullets and contributors are not).
# - floodsung: every "**[12]** Authors. "**Title**." …" paragraph.
# - terryum: every bullet after the contents (line 70); four of them have no usable link
#   (lines 257, 311, 368 have none, 356 writes "[[pdf]] (url)" with a space) and cannot be read.
# - opendilab: every top-level "- [Title](http…)" or "- [Source] [Title](http…)" bullet.
RULES: dict[str, tuple[int, str, int, int]] = {
    "magnetic": (1, r"^\d+\.\s+\*\*", 246, 246),
    "hannibal": (1, r"^\|\s*\d{4}-\d{2}\s*\||^\s*- \[[^\]]*\]\((?!#)", 369, 369),
    "dair": (1, r"^\| \d+\) ", 1300, 1300),
    "woooodyy": (1, r"^\s*- \[\d{4}[/-]\d{2}\] \*\*", 325, 325),
    "floodsung": (1, r"^\*\*\[\d+\]\*\*", 133, 133),
    "terryum": (71, r"^- ", 238, 234),
    "opendilab": (1, r"^- (?:\[[^\]]*\] ?)?\[[^\]]*\]\(http", 170, 170),
}


@pytest.fixture(scope="module")
def catalogs() -> dict[str, Catalog]:
    return {name: load(path) for name, path in FILES.items()}


@pytest.mark.parametrize("name", list(FILES))
def test_entries_read_and_real(name: str, catalogs: dict[str, Catalog]) -> None:
    first, rule, expected, read = RULES[name]
    lines = FILES[name].read_text(encoding="utf-8").split("\n")
    wanted = {n for n, line in enumerate(lines, 1) if n >= first and re.search(rule, line)}
    got = {e.line for e in catalogs[name].entries}
    assert len(wanted) == expected
    assert len(catalogs[name].entries) == read
    assert len(wanted & got) >= 0.95 * len(wanted), sorted(wanted - got)[:20]
    assert len(wanted & got) >= 0.95 * len(got), sorted(got - wanted)[:20]


def test_titles_of_the_lists(catalogs: dict[str, Catalog]) -> None:
    assert {name: c.title for name, c in catalogs.items()} == {
        "magnetic": "llm-alignment-survey",
        "hannibal": "Awesome-LLM",  # the badge in the H1 is not part of the title
        "dair": "ML Papers of The Week",
        "woooodyy": "The Rise and Potential of Large Language Model Based Agents: A Survey",
        # several H1s: the first opens the file above prose, and names the list
        "floodsung": "Deep Learning Papers Reading Roadmap",
        "terryum": "Awesome - Most Cited Deep Learning Papers",
        "opendilab": "Awesome RLHF (RL with Human Feedback)",
    }


# (line, title, paper link, arXiv id), checked by hand against the file.
SAMPLES: dict[str, list[tuple[int, str, str, str | None]]] = {
    "magnetic": [
        (
            54,
            "Aligning Large Language Models with Human: A Survey",
            "https://arxiv.org/abs/2307.12966",
            "2307.12966",
        ),
        (
            77,
            "Predictive Biases in Natural Language Processing Models: A Conceptual Framework and Overview",
            "https://arxiv.org/abs/1912.11078",
            "1912.11078",
        ),
        (
            95,
            "Sparks of Artificial General Intelligence: Early experiments with GPT-4",
            "https://arxiv.org/abs/2303.12712",
            "2303.12712",
        ),
        (
            119,
            "Aligning AI Optimization to Community Well-Being",
            "https://europepmc.org/article/MED/34723107",
            None,
        ),
        (
            137,
            "The Superintelligent Will: Motivation and Instrumental Rationality in Advanced Artificial Agents",
            "https://doi.org/10.1007/s11023-012-9281-3",
            None,
        ),
        (
            152,
            "Softmax Linear Units",
            "https://transformer-circuits.pub/2022/solu/index.html",
            None,
        ),
        (
            172,
            "Improving Alignment of Dialogue Agents via Targeted Human Judgements",
            "https://arxiv.org/abs/2209.14375",
            "2209.14375",
        ),
        (
            190,
            "Chain of Hindsight Aligns Language Models with Feedback",
            "https://arxiv.org/abs/2302.02676",
            "2302.02676",
        ),
        (
            209,
            "Improving Factuality and Reasoning in Language Models through Multiagent Debate",
            "https://arxiv.org/abs/2305.14325",
            "2305.14325",
        ),
        (
            227,
            "The Inner Alignment Problem",
            "https://www.lesswrong.com/posts/pL56xPoniLvtMDQ4J/the-inner-alignment-problem",
            None,
        ),
        (
            245,
            "Transformer Feed-Forward Layers Are Key-Value Memories",
            "https://arxiv.org/abs/2012.14913",
            "2012.14913",
        ),
        (
            268,
            "BadGPT: Exploring Security Vulnerabilities of ChatGPT via Backdoor Attacks to InstructGPT",
            "https://arxiv.org/pdf/2304.12298.pdf",
            "2304.12298",
        ),
        (
            299,
            "Detecting Offensive Language in Social Media to Protect Adolescent Online Safety",
            "http://www.cse.psu.edu/~sxz16/papers/SocialCom2012.pdf",
            None,
        ),
        (
            322,
            "Towards Understanding Gender Bias in Relation Extraction",
            "https://arxiv.org/pdf/1911.03642",
            "1911.03642",
        ),
        (
            343,
            "Automated Hate Speech Detection and the Problem of Offensive Language",
            "https://www.researchgate.net/profile/Ingmar-Weber/publication/314942659_Automated_Hate_Speech_Detection_and_the_Problem_of_Offensive_Language/links/58e76b6a4585152528de68f2/Automated-Hate-Speech-Detection-and-the-Problem-of-Offensive-Language.pdf",
            None,
        ),
        (
            358,
            "Microaggressions and Traumatic Stress: Theory, Research, and Clinical Treatment",
            "https://psycnet.apa.org/record/2017-58590-000?doi=1",
            None,
        ),
    ],
    "hannibal": [
        (10, "TinyZero", "https://github.com/Jiayi-Pan/TinyZero", None),
        (
            59,
            "Improving language models by retrieving from trillions of tokens",
            "https://www.deepmind.com/publications/improving-language-models-by-retrieving-from-trillions-of-tokens",
            None,
        ),
        (
            82,
            "Language Is Not All You Need: Aligning Perception with Language Models",
            "https://arxiv.org/abs/2302.14045",
            "2302.14045",
        ),
        (
            115,
            "Awesome-LLM-hallucination",
            "https://github.com/LuckyyySTA/Awesome-LLM-hallucination",
            None,
        ),
        (138, "awesome-japanese-llm", "https://github.com/llm-jp/awesome-japanese-llm", None),
        (170, "M3CoT", "https://lightchen233.github.io/m3cot.github.io/leaderboard.html", None),
        (201, "DeepSeek-R1", "https://github.com/deepseek-ai/DeepSeek-R1", None),
        (241, "Mixtral-8x22B", "https://mistral.ai/news/mixtral-8x22b/", None),
        (332, "VisCPM-10B", "https://huggingface.co/openbmb/VisCPM-Chat", None),
        (401, "lm-evaluation-harness", "https://github.com/EleutherAI/lm-evaluation-harness", None),
        (439, "Mesh Tensorflow", "https://github.com/tensorflow/mesh", None),
        (
            472,
            "Text-Embeddings-Inference",
            "https://github.com/huggingface/text-embeddings-inference",
            None,
        ),
        (506, "Robocorp", "https://github.com/robocorp/robocorp", None),
        (529, "PromptPerfect", "https://promptperfect.jina.ai/prompts", None),
        (557, "Alexander Rush Series", "https://rush-nlp.com/projects/", None),
        (
            585,
            "LLM Powered Autonomous Agents",
            "https://lilianweng.github.io/posts/2023-06-23-agent/",
            None,
        ),
    ],
    "dair": [
        (
            157,
            "Ultra-Fast Diffusion-based Language Models",
            "https://arxiv.org/abs/2506.17298",
            "2506.17298",
        ),
        (
            270,
            "Building Production-Ready AI Agents with Scalable Long-Term Memory",
            "https://arxiv.org/abs/2504.19413",
            "2504.19413",
        ),
        (
            383,
            "Cognitive Behaviors that Enable Self-Improving Reasoners",
            "https://arxiv.org/abs/2503.01307",
            "2503.01307",
        ),
        (496, "Search-o1", "https://arxiv.org/abs/2501.05366", "2501.05366"),
        (
            609,
            "The Surprising Effectiveness of Test-Time Training for Abstract Reasoning",
            "https://ekinakyurek.github.io/papers/ttt.pdf",
            None,
        ),
        (728, "To CoT or not to CoT?", "https://arxiv.org/abs/2409.12183", "2409.12183"),
        (846, "Text-to-SQL Survey", "https://arxiv.org/abs/2407.15186", "2407.15186"),
        (
            963,
            "Are Long-LLMs A Necessity For Long-Context Tasks?",
            "https://arxiv.org/abs/2405.15318",
            "2405.15318",
        ),
        (
            1084,
            "Advancing LLM Reasoning",
            "https://github.com/OpenBMB/Eurus/blob/main/paper.pdf",
            None,
        ),
        (1201, "LLM-based Multi-Agents", "https://arxiv.org/abs/2402.01680", "2402.01680"),
        (
            1324,
            "Gemini",
            "https://storage.googleapis.com/deepmind-media/gemini/gemini_1_report.pdf",
            None,
        ),
        (1455, "Universal Simulator", "https://arxiv.org/abs/2310.06114", "2310.06114"),
        (1592, "Model Compression for LLMs", "https://arxiv.org/abs/2308.07633", "2308.07633"),
        (
            1729,
            "An Overview of Catastrophic AI Risks",
            "https://arxiv.org/abs/2306.12001v1",
            "2306.12001",
        ),
        (
            1866,
            "Harnessing the Power of LLMs in Practice: A Survey on ChatGPT and Beyond",
            "https://arxiv.org/abs/2304.13712",
            "2304.13712",
        ),
        (
            2001,
            "High-resolution image reconstruction with latent diffusion models from human brain activity",
            "https://sites.google.com/view/stablediffusion-with-brain/",
            None,
        ),
    ],
    "woooodyy": [
        (
            129,
            "Towards End-to-End Embodied Decision Making via Multi-modal Large Language Model: Explorations with GPT4-Vision and Beyond",
            "https://arxiv.org/abs/2310.02071",
            "2310.02071",
        ),
        (
            173,
            "Large language models in medicine",
            "https://www.nature.com/articles/s41591-023-02448-8",
            None,
        ),
        (
            203,
            "BART: Denoising Sequence-to-Sequence Pre-training for Natural Language Generation, Translation, and Comprehension",
            "https://arxiv.org/abs/1910.13461",
            "1910.13461",
        ),
        (
            233,
            "RecurrentGPT: Interactive Generation of (Arbitrarily) Long Text",
            "https://arxiv.org/pdf/2305.13304.pdf",
            "2305.13304",
        ),
        (
            271,
            "MRKL Systems: A modular, neuro-symbolic architecture that combines large language models, external knowledge sources and discrete reasoning",
            "https://arxiv.org/abs/2205.00445",
            "2205.00445",
        ),
        (
            299,
            "Training language models to follow instructions with human feedback",
            "https://proceedings.neurips.cc/paper_files/paper/2022/hash/b1efde53be364a73914f58805a001731-Abstract-Conference.html",
            None,
        ),
        (
            343,
            "MiniGPT-4: Enhancing Vision-Language Understanding with Advanced Large Language Models",
            "https://arxiv.org/abs/2304.10592",
            "2304.10592",
        ),
        (
            372,
            "CREATOR: Disentangling Abstract and Concrete Reasonings of Large Language Models through Tool Creation",
            "https://arxiv.org/abs/2305.14318",
            "2305.14318",
        ),
        (
            409,
            "Voyager: An Open-Ended Embodied Agent with Large Language Models",
            "https://arxiv.org/abs/2305.16291",
            "2305.16291",
        ),
        (
            441,
            "WebArena: A Realistic Web Environment for Building Autonomous Agents",
            "https://arxiv.org/abs/2307.13854",
            "2307.13854",
        ),
        (
            467,
            "Math Agents: Computational Infrastructure, Mathematical Embedding, and Genomics",
            "https://arxiv.org/abs/2307.02502",
            "2307.02502",
        ),
        (
            498,
            "AutoGen: Enabling Next-Gen LLM Applications via Multi-Agent Conversation Framework",
            "https://arxiv.org/abs/2308.08155",
            "2308.08155",
        ),
        (
            534,
            "A Virtual Conversational Agent for Teens with Autism Spectrum Disorder: Experimental Results and Design Lessons",
            "https://doi.org/10.1145/3383652.3423900",
            None,
        ),
        (
            575,
            "PaLM-E: An Embodied Multimodal Language Model",
            "http://proceedings.mlr.press/v202/driess23a/driess23a.pdf",
            None,
        ),
        (
            609,
            "ChatGPT outperforms humans in emotional awareness evaluations",
            "https://www.frontiersin.org/articles/10.3389/fpsyg.2023.1199058/full",
            None,
        ),
        (
            640,
            "Generative Agents: Interactive Simulacra of Human Behavior",
            "https://arxiv.org/abs/2304.03442",
            "2304.03442",
        ),
    ],
    "floodsung": [
        (25, "Deep learning", "http://www.deeplearningbook.org/", None),
        (
            49,
            "Deep neural networks for acoustic modeling in speech recognition: The shared views of four research groups",
            "http://cs224d.stanford.edu/papers/maas_paper.pdf",
            None,
        ),
        (
            71,
            "Batch normalization: Accelerating deep network training by reducing internal covariate shift",
            "http://arxiv.org/pdf/1502.03167",
            "1502.03167",
        ),
        (
            89,
            "Learning to learn by gradient descent by gradient descent",
            "https://arxiv.org/pdf/1606.04474",
            "1606.04474",
        ),
        (
            108,
            "DRAW: A recurrent neural network for image generation",
            "http://jmlr.org/proceedings/papers/v37/gregor15.pdf",
            "1502.04623",
        ),
        (
            126,
            "A neural conversational model",
            "http://arxiv.org/pdf/1506.05869.pdf%20(http://arxiv.org/pdf/1506.05869.pdf)",
            "1506.05869",
        ),
        (
            147,
            "Human-level control through deep reinforcement learning",
            "https://storage.googleapis.com/deepmind-data/assets/papers/DeepMindNature14236Paper.pdf",
            None,
        ),
        (
            165,
            "Lifelong Machine Learning Systems: Beyond Learning Algorithms",
            "http://citeseerx.ist.psu.edu/viewdoc/download?doi=10.1.1.696.7800&rep=rep1&type=pdf",
            None,
        ),
        (
            184,
            "Matching Networks for One Shot Learning",
            "https://arxiv.org/pdf/1606.04080",
            "1606.04080",
        ),
        (
            205,
            "Teaching Machines to Read and Comprehend",
            "https://arxiv.org/abs/1506.03340",
            "1506.03340",
        ),
        (
            223,
            "You only look once: Unified, real-time object detection",
            "http://homes.cs.washington.edu/~ali/papers/YOLO.pdf",
            "1506.02640",
        ),
        (
            244,
            "Visual tracking with fully convolutional networks",
            "http://www.cv-foundation.org/openaccess/content_iccv_2015/papers/Wang_Visual_Tracking_With_ICCV_2015_paper.pdf",
            None,
        ),
        (
            261,
            "Long-term recurrent convolutional networks for visual recognition and description",
            "https://arxiv.org/pdf/1411.4389.pdf",
            "1411.4389",
        ),
        (
            282,
            "Neural Machine Translation of Rare Words with Subword Units",
            "https://arxiv.org/pdf/1508.07909.pdf",
            "1508.07909",
        ),
        (
            300,
            "Learning Hand-Eye Coordination for Robotic Grasping with Deep Learning and Large-Scale Data Collection",
            "http://arxiv.org/pdf/1603.02199",
            "1603.02199",
        ),
        (
            319,
            "Generative Visual Manipulation on the Natural Image Manifold",
            "https://arxiv.org/pdf/1609.03552",
            "1609.03552",
        ),
    ],
    "terryum": [
        (
            72,
            "Distilling the knowledge in a neural network",
            "http://arxiv.org/pdf/1503.02531",
            "1503.02531",
        ),
        (
            94,
            "Pixel recurrent neural networks",
            "http://arxiv.org/pdf/1601.06759v2.pdf",
            "1601.06759",
        ),
        (
            111,
            "Return of the devil in the details: delving deep into convolutional nets",
            "http://arxiv.org/pdf/1405.3531",
            "1405.3531",
        ),
        (
            133,
            "A neural algorithm of artistic style",
            "https://arxiv.org/pdf/1508.06576",
            "1508.06576",
        ),
        (
            153,
            "Conditional random fields as recurrent neural networks",
            "http://www.cv-foundation.org/openaccess/content_iccv_2015/papers/Zheng_Conditional_Random_Fields_ICCV_2015_paper.pdf",
            None,
        ),
        (
            171,
            "End-to-end attention-based large vocabulary speech recognition",
            "https://arxiv.org/pdf/1508.04395",
            "1508.04395",
        ),
        (
            189,
            "Playing atari with deep reinforcement learning",
            "http://arxiv.org/pdf/1312.5602.pdf",
            "1312.5602",
        ),
        (
            207,
            "Hybrid computing using a neural network with dynamic external memory",
            "https://www.gwern.net/docs/2016-graves.pdf",
            None,
        ),
        (
            227,
            "Batch renormalization: Towards reducing minibatch dependence in batch-normalized models",
            "https://arxiv.org/abs/1702.03275",
            "1702.03275",
        ),
        (
            245,
            "Convolutional deep belief networks for scalable unsupervised learning of hierarchical representations",
            "http://citeseerx.ist.psu.edu/viewdoc/download?doi=10.1.1.149.802&rep=rep1&type=pdf",
            None,
        ),
        (
            266,
            "Deep Reinforcement Learning: An Overview",
            "http://arxiv.org/pdf/1701.07274v2.pdf",
            "1701.07274",
        ),
        (286, "ICLR 2016 Videos, San Juan", "http://videolectures.net/iclr2016_san_juan/", None),
        (
            305,
            "Professor Forcing: A New Algorithm for Training Recurrent Networks",
            "https://arxiv.org/pdf/1610.09038",
            "1610.09038",
        ),
        (
            320,
            "Reading text in the wild with convolutional neural networks",
            "http://arxiv.org/pdf/1412.1842",
            "1412.1842",
        ),
        (
            336,
            "Unsupervised learning of video representations using LSTMs",
            "http://www.jmlr.org/proceedings/papers/v37/srivastava15.pdf",
            None,
        ),
        (350, "Pointer networks", "http://papers.nips.cc/paper/5866-pointer-networks.pdf", None),
    ],
    "opendilab": [
        (
            88,
            "Position: The Complexity of Perfect AI Alignment -- Formalizing the RLHF Trilemma",
            "https://arxiv.org/abs/2511.19504",
            "2511.19504",
        ),
        (
            130,
            "RLTHF: Targeted Human Feedback for LLM Alignment",
            "https://arxiv.org/abs/2502.13417",
            "2502.13417",
        ),
        (
            179,
            "REvolve: Reward Evolution with Large Language Models using Human Feedback",
            "https://arxiv.org/abs/2406.01309",
            "2406.01309",
        ),
        (
            227,
            "Direct Large Language Model Alignment Through Self-Rewarding Contrastive Prompt Distillation",
            "https://arxiv.org/abs/2402.11907",
            "2402.11907",
        ),
        (
            277,
            "MaxMin-RLHF: Towards equitable alignment of large language models with diverse human preferences",
            "https://arxiv.org/abs/2402.08925",
            "2402.08925",
        ),
        (
            325,
            "A Theoretical Analysis of Nash Learning from Human Feedback under General KL-Regularized Preference",
            "https://arxiv.org/pdf/2402.07314.pdf",
            "2402.07314",
        ),
        (
            372,
            "The Trickle-down Impact of Reward (In-)consistency on RLHF",
            "https://arxiv.org/abs/2309.16155",
            "2309.16155",
        ),
        (
            419,
            "Reinforcement Learning from Statistical Feedback: the Journey from AB Testing to ANT Testing",
            "https://arxiv.org/abs/2311.14766",
            "2311.14766",
        ),
        (
            459,
            "Tuning computer vision models with task rewards",
            "https://arxiv.org/abs/2302.08242.pdf",
            "2302.08242",
        ),
        (
            506,
            "Better Aligning Text-to-Image Models with Human Preference",
            "https://arxiv.org/abs/2303.14420",
            "2303.14420",
        ),
        (
            554,
            "Improving alignment of dialogue agents via targeted human judgements",
            "https://arxiv.org/abs/2209.14375",
            "2209.14375",
        ),
        (
            597,
            "SURF: Semi-supervised Reward Learning with Data Augmentation for Feedback-efficient Preference-based Reinforcement Learning",
            "https://arxiv.org/abs/2203.10050",
            "2203.10050",
        ),
        (
            645,
            "Reward learning from human preferences and demonstrations in Atari",
            "https://arxiv.org/abs/1811.06521",
            "1811.06521",
        ),
        (700, "Transformer Reinforcement Learning (TRL)", "https://github.com/lvwerra/trl", None),
        (753, "HH-RLHF", "https://github.com/anthropics/hh-rlhf", None),
        (790, "LIMA", "https://huggingface.co/datasets/GAIR/lima", None),
    ],
}


@pytest.mark.parametrize("name", list(SAMPLES))
def test_hand_checked_sample(name: str, catalogs: dict[str, Catalog]) -> None:
    by_line = {e.line: e for e in catalogs[name].entries}
    assert len(SAMPLES[name]) >= 15
    for line, title, url, arxiv_id in SAMPLES[name]:
        entry = by_line[line]
        assert (entry.title, entry.url, entry.arxiv_id) == (title, url, arxiv_id), line
        assert entry.key == (arxiv_id or entry.key)


def entry_at(catalog: Catalog, line: int) -> Entry:
    (entry,) = [e for e in catalog.entries if e.line == line]
    return entry


def test_magnetic_byline(catalogs: dict[str, Catalog]) -> None:
    entry = entry_at(catalogs["magnetic"], 58)  # "**An Overview of Catastrophic AI Risks.** …"
    assert entry.title == "An Overview of Catastrophic AI Risks"
    assert (entry.authors, entry.venue, entry.year) == ("Dan Hendrycks et al.", "arXiv", 2023)
    assert entry.key == "2306.12001"
    entry = entry_at(catalogs["magnetic"], 345)
    assert entry.authors == "William Warner and Julia Hirschberg"
    assert (entry.venue, entry.year) == ("NAACL-HLT", 2012)
    assert entry.section == (
        "Alignment Evaluation",
        "Stereotype and Bias Evaluation",
        "Hate Speech Detection",
    )


def test_hannibal_table_and_details_groups(catalogs: dict[str, Catalog]) -> None:
    catalog = catalogs["hannibal"]
    milestones = [e for e in catalog.entries if e.section == ("Milestone Papers",)]
    assert len(milestones) == 62  # <summary> milestone papers </summary> names the heading
    codex = entry_at(catalog, 53)
    assert codex.title == "Evaluating Large Language Models Trained on Code"
    assert (codex.key, codex.year) == ("2107.03374", 2021)
    assert codex.extra == ("keywords: Codex", "Institute: OpenAI")
    qwen = [e for e in catalog.entries if e.section == ("Open LLM", "Alibaba")]
    assert len(qwen) == 13 and qwen[0].title == "Qwen-1.8B|7B|14B|72B"
    tools = entry_at(catalog, 485)
    assert tools.title == "LangChain" and tools.section == ("LLM Applications",)
    assert tools.description.startswith("A popular Python/JavaScript library for chaining")
    assert entry_at(catalog, 500).section == ("LLM Applications", "more applications")
    assert not any(e.url.startswith("#") for e in catalog.entries)


def test_dair_weekly_tables(catalogs: dict[str, Catalog]) -> None:
    catalog = catalogs["dair"]
    first = entry_at(catalog, 157)
    assert first.section == ("Top ML Papers of the Week (June 23 - June 29) - 2025",)
    assert first.year == 2025
    assert first.description.startswith("This paper introduces Mercury, a family of")
    assert [link.text for link in first.links] == ["Tweet"]
    assert first.links[0].url.startswith("https://x.com/")
    bold = entry_at(catalog, 609)  # "5) **Title** - explores …"
    assert bold.description.startswith("explores test-time training (TTT)")
    # No table of contents line ("./#top-ml-papers-…", stale anchors too) is an entry.
    assert not any("#" in e.url and "top-ml-papers" in e.url for e in catalog.entries)
    assert min(e.line for e in catalog.entries) > 150
    # A title cell with a link of its own inside the description is still read.
    assert entry_at(catalog, 163).title == "Claude for Affective Use"


def test_woooodyy_dates_dois_and_descriptions(catalogs: dict[str, Catalog]) -> None:
    catalog = catalogs["woooodyy"]
    bang = entry_at(catalog, 131)
    assert bang.url == "https://doi.org/10.48550/arXiv.2302.04023"
    assert (bang.key, bang.arxiv_id) == ("2302.04023", "2302.04023")  # an arXiv DOI
    assert (bang.authors, bang.venue, bang.year) == ("Yejin Bang et al.", "arXiv", 2023)
    assert bang.source is None  # "[2023/08]" is a date, not a source tag
    pca = entry_at(catalog, 129)
    assert pca.description.startswith("This work proposes PCA-EVAL")
    assert [(link.text, link.url) for link in pca.links] == [
        ("code", "https://github.com/PKUnlp-icler/PCA-EVAL")
    ]
    assert pca.section[-1] == "High-quality generation"
    web = entry_at(catalog, 449)  # under the bold line "**In web scenarios**"
    assert web.section[-1] == "In web scenarios"
    # News bullets and the contributors' footer are not entries.
    assert not any(e.line < 119 or e.line > 690 for e in catalog.entries)


def test_floodsung_reference_paragraphs(catalogs: dict[str, Catalog]) -> None:
    catalog = catalogs["floodsung"]
    survey = entry_at(catalog, 29)
    assert survey.title == "Deep learning"
    assert survey.authors == "LeCun, Yann, Yoshua Bengio, and Geoffrey Hinton"
    assert (survey.venue, survey.year) == ("Nature 521.7553", 2015)
    assert survey.description == "Three Giants' Survey"
    assert survey.section == ("1 Deep Learning History and Basics", "1.1 Survey")
    # The arXiv id from an "arXiv:1502.04623" mention when the link is not arXiv's.
    draw = entry_at(catalog, 108)
    assert (draw.arxiv_id, draw.key) == ("1502.04623", "1502.04623")
    assert entry_at(catalog, 79).title == (
        "Net2net: Accelerating learning via knowledge transfer"  # quoted, not bold
    )


def test_terryum_text_titles_and_year_lines(catalogs: dict[str, Catalog]) -> None:
    catalog = catalogs["terryum"]
    yosinski = entry_at(catalog, 74)
    assert yosinski.title == "How transferable are features in deep neural networks?"
    assert (yosinski.authors, yosinski.year) == ("J. Yosinski et al.", 2014)
    assert yosinski.section == ("Understanding / Generalization / Transfer",)  # not "Contents"
    mobilenets = entry_at(catalog, 215)  # not bold: "- Title (2017), Authors [[pdf]](…)"
    assert mobilenets.title == (
        "MobileNets: Efficient Convolutional Neural Networks for Mobile Vision Applications"
    )
    assert (mobilenets.authors, mobilenets.year, mobilenets.key) == (
        "Andrew G. Howard et al.",
        2017,
        "1704.04861",
    )
    # "*(2016)*" and "*(Lectures)*" lines group the entries below them.
    assert entry_at(catalog, 301).section == ("Appendix: More than Top 100", "2016")
    assert entry_at(catalog, 279).section == ("Video Lectures / Tutorials / Blogs", "Lectures")
    assert entry_at(catalog, 306).links[0].text == "web"
    assert [line for line, _ in catalog.unread] == [356]  # "[[pdf]] (url)": reported


# --- each shape on a line of its own: lists the tests never saw ------------------------------


def one(text: str) -> Entry:
    (entry,) = parse("# L\n\n## Papers\n\n" + text).entries
    return entry


def test_bold_title_then_byline_then_label_link() -> None:
    entry = one(
        "5. **An Overview of Catastrophic AI Risks.** Dan Hendrycks et al. arXiv 2023. "
        "[[Paper](https://arxiv.org/abs/2306.12001)] [[Code](https://github.com/x/y)]\n"
    )
    assert (entry.title, entry.key, entry.url) == (
        "An Overview of Catastrophic AI Risks",
        "2306.12001",
        "https://arxiv.org/abs/2306.12001",
    )
    assert (entry.authors, entry.venue, entry.year) == ("Dan Hendrycks et al.", "arXiv", 2023)
    assert [(link.text, link.url) for link in entry.links] == [("Code", "https://github.com/x/y")]


def test_bold_link_with_italic_authors_on_a_later_line() -> None:
    entry = one(
        "1. **[Constitutional AI: Harmlessness from AI Feedback.](https://arxiv.org/abs/2212.08073)**"
        "\n\n   *Yuntao Bai, Saurav Kadavath, Sandipan Kundu*\n"
    )
    assert (entry.title, entry.key) == (
        "Constitutional AI: Harmlessness from AI Feedback",
        "2212.08073",
    )
    assert entry.authors == "Yuntao Bai, Saurav Kadavath, Sandipan Kundu"


def test_quoted_title_with_a_date_tag() -> None:
    entry = one(
        '3. "Direct Preference Optimization" [2023-05] [[paper](https://arxiv.org/abs/2305.18290)]\n'
    )
    assert (entry.title, entry.key, entry.year, entry.authors) == (
        "Direct Preference Optimization",
        "2305.18290",
        2023,
        "",
    )


def test_date_prefix_is_not_a_source_tag() -> None:
    entry = one(
        "- [2023/06] **Title Here.** *Ann Author et al. ICLR.* "
        "[[paper](https://doi.org/10.48550/arXiv.2302.04023)] [[code](https://github.com/a/b)]\n"
    )
    assert (entry.title, entry.source, entry.year, entry.key) == (
        "Title Here",
        None,
        2023,
        "2302.04023",
    )
    assert (entry.authors, entry.venue) == ("Ann Author et al.", "ICLR")
    linked = one("- [2024/01] [Linked Title](https://a.example/p)\n")
    assert (linked.title, linked.source, linked.year) == ("Linked Title", None, 2024)


def test_note_title_link_then_arxiv_link() -> None:
    entry = one(
        "- [HILP: Foundation Policies](HILP.md) - Park et al. [arxiv](https://arxiv.org/abs/2402.15567)\n"
    )
    assert (entry.title, entry.key, entry.url) == (
        "HILP: Foundation Policies",
        "2402.15567",
        "https://arxiv.org/abs/2402.15567",
    )
    assert [(link.text, link.url) for link in entry.links] == [("page", "HILP.md")]


def test_text_title_needs_a_label_link() -> None:
    entry = one(
        "- Deep Photo Style Transfer (2017), F. Luan et al. [[pdf]](http://arxiv.org/pdf/1703.07511v1.pdf)\n"
    )
    assert (entry.title, entry.year, entry.authors, entry.key) == (
        "Deep Photo Style Transfer",
        2017,
        "F. Luan et al.",
        "1703.07511",
    )
    # A sentence that links a word is not an entry; neither is a list of names.
    assert parse("## S\n- See [this page](https://a.example) for more\n").entries == []
    assert parse("## S\n- Ann Lee ([@ann](https://github.com/ann))\n").entries == []


def test_reference_paragraph() -> None:
    entry = one(
        '**[7]** He, Kaiming, et al. "**Deep residual learning for image recognition**." '
        "arXiv preprint arXiv:1512.03385 (2015). [[pdf]](https://x.example/resnet.pdf) "
        "**(ResNet, CVPR best paper)** :star::star:\n"
    )
    assert (entry.title, entry.arxiv_id, entry.key, entry.year) == (
        "Deep residual learning for image recognition",
        "1512.03385",
        "1512.03385",
        2015,
    )
    assert entry.url == "https://x.example/resnet.pdf"
    assert entry.description == "ResNet, CVPR best paper"
    # Prose paragraphs with links are not entries.
    assert (
        parse("## S\n\nRead [our survey](https://arxiv.org/abs/2309.15025) first.\n").entries == []
    )


def test_bare_url_bullet() -> None:
    entry = one("- https://arxiv.org/abs/2305.18290\n")
    assert (entry.title, entry.key) == ("https://arxiv.org/abs/2305.18290", "2305.18290")


def test_table_rows_title_cell_and_label_links() -> None:
    catalog = parse(
        "# L\n\n## Week 1 - 2024\n\n| **Paper** | **Links** |\n| --- | --- |\n"
        "| 1) **Mamba** - linear-time sequence modeling | [Paper](https://arxiv.org/abs/2312.00752), [Tweet](https://x.com/a/1) |\n"
        "| 2) RLHF Workflow  a recipe for online RLHF <br>● more | [Paper](https://arxiv.org/abs/2405.07863v1) |\n"
        "| 3) Tweet only  text | [Tweet](https://x.com/a/3) |\n\n"
        "| Date | keywords | Paper |\n|:-:|:-:|---|\n| 2021-08 | Codex | [Evaluating LLMs Trained on Code](https://arxiv.org/pdf/2107.03374.pdf) |\n"
    )
    mamba, workflow, tweet, codex = catalog.entries
    assert (mamba.title, mamba.key, mamba.year) == ("Mamba", "2312.00752", 2024)
    assert mamba.description == "linear-time sequence modeling"
    assert [link.text for link in mamba.links] == ["Tweet"]
    assert (workflow.title, workflow.key) == ("RLHF Workflow", "2405.07863")
    assert workflow.description == "a recipe for online RLHF ● more"
    assert (tweet.title, tweet.url) == ("Tweet only", "https://x.com/a/3")
    assert (codex.title, codex.key, codex.year, codex.extra) == (
        "Evaluating LLMs Trained on Code",
        "2107.03374",
        2021,
        ("keywords: Codex",),
    )


def test_html_headings_details_and_year_lines_are_sections() -> None:
    catalog = parse(
        '# L\n\n<h2 id="technique">Technique</h2>\n\n- [A](https://a.example/1)\n\n'
        "### <h3>Reward Models<h3/>\n\n- [B](https://a.example/2)\n\n"
        "<details><summary>Older</summary>\n\n- [C](https://a.example/3)\n\n</details>\n\n"
        "- [D](https://a.example/4)\n\n*2022*\n\n- [E](https://a.example/5)\n"
    )
    assert [(e.title, e.section) for e in sorted(catalog.entries, key=lambda e: e.line)] == [
        ("A", ("Technique",)),
        ("B", ("Technique", "Reward Models")),
        ("C", ("Technique", "Reward Models", "Older")),
        ("D", ("Technique", "Reward Models")),
        ("E", ("Technique", "Reward Models", "2022")),
    ]
    assert catalog.entries[-1].year == 2022


def test_code_fences_badges_images_and_toc_are_never_entries() -> None:
    catalog = parse(
        "# Awesome X [![Awesome](https://awesome.re/badge.svg)](https://awesome.re)\n\n"
        "## Table of Content\n- [Papers](#papers)\n- [Old](./#old-anchor-that-changed)\n\n"
        "## Papers\n```\n1. **Template.** Authors. [[Paper](https://arxiv.org/abs/0000.00000)]\n```\n"
        "- [![badge](https://img.example/b.svg)](https://ci.example)\n"
        "- **Real.** Ann. [[pdf]](https://a.example/real.pdf)\n"
    )
    assert catalog.title == "Awesome X"
    assert [e.title for e in catalog.entries] == ["Real"]


def test_further_links_between_the_title_and_its_description_are_links_not_words() -> None:
    catalog = parse(
        "# T\n\n## S\n\n"
        "- [DPO](https://arxiv.org/abs/2305.18290) - [code](https://github.com/x/y) "
        "[tweet](https://x.com/a/status/1) - Trains a policy\n"
        "- [X](https://a.org/x) - -1 is a number\n"
    )
    dpo, x = catalog.entries
    assert dpo.description == "Trains a policy"
    assert [link.text for link in dpo.links] == ["code", "tweet"]
    assert x.description == "-1 is a number"
