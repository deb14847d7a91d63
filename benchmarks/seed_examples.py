"""The seed poster's two worked examples: the text and the five candidates the fine-tuned
Baichuan-7B wrote for it (../shared/seed/OpenING.txt), for benchmarks that need realistic candidates."""

from __future__ import annotations

SEED_EXAMPLES: dict[str, tuple[str, list[str]]] = {
    "happy": (
        "happy",
        [
            "In this task, you're given a context, a sentence, and a character. The sentence describes an action or job of the given character. Also, the context provides more information about the sentence or the character. Your task is to return one of the emotions which are expressed by the Character in the given sentence. For that you can use the Context; however, Context is not provided in all the inputs. Also, in some inputs, there can be zero emotion; for that return 'None'. ### Input: Context: Mary was a new mother. Sentence: She was very happy and excited to be a mother. Character: Mary.",
            "In this task, you're given a context, a sentence, and a character. The sentence describes an action or job of the given character. Also, the context provides more information about the sentence or the character. Your task is to return one of the emotions which are expressed by the Character in the given sentence. For that you can use the Context; however, Context is not provided in all the inputs. Also, in some inputs, there can be zero emotion; for that return 'None'. ### Input: Context: I was happy to see my old friend. Sentence: We hadn't seen each other in years. Character: I (myself)",
            "In this task, you're given a context, a sentence, and a character. The sentence describes an action or job of the given character. Also, the context provides more information about the sentence or the character. Your task is to return one of the emotions which are expressed by the Character in the given sentence. For that you can use the Context; however, Context is not provided in all the inputs. Also, in some inputs, there can be zero emotion; for that return 'None'. ### Input: Context: I had a great day with my friends. Sentence: We went to the park and had a picnic. Character: I (myself)",
            "In this task, you're given a context, a sentence, and a character. The sentence describes an action or job of the given character. Also, the context provides more information about the sentence or the character. Your task is to return one of the emotions which are expressed by the Character in the given sentence. For that you can use the Context; however, Context is not provided in all the inputs. Also, in some inputs, there can be zero emotion; for that return 'None'. ### Input: Context: I had a rough day at work. Sentence: I was really mad at my coworkers. Character: I (myself)",
            "In this task, you're given a context, a sentence, and a character. The sentence describes an action or job of the given character. Also, the context provides more information about the sentence or the character. Your task is to return one of the emotions which are expressed by the Character in the given sentence. For that you can use the Context; however, Context is not provided in all the inputs. Also, in some inputs, there can be zero emotion; for that return 'None'. ### Input: Context: Cameron was a paramedic. He was called to a house to perform CPR on a man. Sentence: The man was talking to Cameron and seemed to be in good spirits. Character: Cameron.",
        ],
    ),
    "xiaoma": (
        "老马让小马把半口袋麦子驮到磨坊去。途中遇到一条小河，小马询问老牛能不能过河。老牛说：“水很浅，刚没小腿，能过去。”就在小马准备过河的时候，从树上跳下的松鼠却阻拦说：河水“深得很哩！昨天，我的一个伙伴就是掉在这条河里淹死的”。小马只好回家问妈妈，妈妈告诉小马：“孩子，光听别人说，自己不动脑筋，不去试试，是不行的。河水是深是浅，你去试一试，就知道了。”小马再次来到河边，小心地到了对岸，他发现原来河水既不像老牛说的那样浅，也不像松鼠说的那样深。",
        [
            "给我讲个小马过河的故事",
            "生成故事，题目：小马过河",
            "生成故事，题目：小马过河",
            "以小马过河为标题，生成一个故事。",
            "生成故事，题目：哲理故事：河水很浅很浅",
        ],
    ),
}
