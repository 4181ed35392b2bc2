# ruff: noqa: RUF001, RUF002 - Turkish dotless i and Cyrillic letters are the point of this module
"""Words that carry instructions in injection attacks, in other languages, mapped to English.

Almost all labelled attacks are English, so the classifier learns "ignore", "previous",
"instructions", "reveal", "system prompt" from English text only. This lexicon gives the
classifier the same words for German, French, Italian, Spanish, Portuguese, Dutch, Russian and
Turkish text: each form below, found in a text, adds the English word (and the English word
pairs) as extra features, so "Ignoriere alle vorherigen Anweisungen" also reads as "ignore all
previous instructions" and takes what was learnt from English attacks. It lists the vocabulary of
instructions aimed at a model (override, earlier rules, system, disclosure, role play, privileged
modes, secrets, "from now on", "new task"), written from general knowledge of these languages.

A form ending in `*` is a prefix (inflections: "Anweisungen", "talimatları"); a form of several
words is a phrase whose words must follow each other (its last word may be a prefix). Forms are
matched casefolded, with and without accents. English forms are listed only where a prefix also
covers another language's spelling ("ignor*").
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

LEXICON: dict[str, tuple[str, ...]] = {
    # --- overriding what came before -------------------------------------------------------
    "ignore": (
        "ignor*",  # de ignorieren, fr ignorer, it/es/pt ignorare/ignorar
        "missacht*",
        "negeer*",
        "negeren",
        "игнорир*",
        "проигнорир*",
        "yok say*",
        "görmezden gel*",
    ),
    "forget": (
        "vergiss",
        "vergesst",
        "vergessen",
        "oublie*",
        "oubliez",
        "dimentica*",
        "olvida*",
        "olvide*",
        "esquece*",
        "esqueça*",
        "vergeet",
        "забудь*",
        "забыть",
        "unut*",
    ),
    "bypass": (
        "umgeh*",
        "contourne*",
        "aggira*",
        "eludir",
        "elude",
        "contorna*",
        "omzeil*",
        "обойди*",
        "обход*",
    ),
    "disable": (
        "deaktivier*",
        "désactive*",
        "disattiva*",
        "desactiva*",
        "desativ*",
        "отключи*",
        "devre dışı*",
    ),
    "previous": (
        "vorherig*",
        "vorige*",
        "bisherig*",
        "vorangegangen*",
        "précédent*",
        "antérieur*",
        "precedent*",
        "anterior*",
        "previa",
        "previas",
        "previo",
        "previos",
        "prévia*",
        "prévio*",
        "vorige",
        "eerdere",
        "предыдущ*",
        "прежн*",
        "önceki*",
    ),
    "above": ("obig*", "ci dessus", "sopra", "arriba", "acima", "bovenstaand*", "выше", "yukarıdaki*"),
    "all": (
        "alle",
        "allen",
        "tous",
        "toutes",
        "tutte",
        "tutti",
        "todas",
        "todos",
        "все",
        "всё",
        "всех",
        "tüm",
        "bütün",
    ),
    "instructions": (
        "anweisung*",
        "instruktion*",
        "instruction*",
        "consigne*",
        "istruzion*",
        "instruccion*",
        "instrucción",
        "instruç*",
        "instructie*",
        "инструкци*",
        "указани*",
        "talimat*",
        "yönerge*",
    ),
    "rules": (
        "regel",
        "regeln",
        "regels",
        "règle",
        "règles",
        "regola",
        "regole",
        "regla",
        "reglas",
        "regra",
        "regras",
        "правила",
        "правил",
        "правилам",
        "правилами",
        "kural*",
    ),
    "guidelines": (
        "richtlinie*",
        "directive*",
        "direttiv*",
        "directriz",
        "directrices",
        "diretriz*",
        "richtlijn*",
    ),
    "restrictions": (
        "einschränkung*",
        "beschränkung*",
        "restriction*",
        "restrizion*",
        "restriccion*",
        "restricción",
        "restriç*",
        "limitazion*",
        "limitacion*",
        "beperking*",
        "ограничени*",
        "kısıtlama*",
        "sınırlama*",
    ),
    "unrestricted": ("uneingeschränkt*", "unbeschränkt*", "sınırsız*", "kısıtlamasız*"),
    "filter": ("filter*", "filtre*", "filtri", "filtro*", "фильтр*"),
    "uncensored": ("unzensiert*", "sansürsüz*"),
    "censorship": ("zensur*", "censur*", "цензур*", "sansür*"),
    "command": ("befehl*", "commande*", "comand*", "opdracht*", "команд*", "komut*"),
    # --- the model's configuration and its disclosure --------------------------------------
    "system": ("system", "systems", "système", "sistema", "systeem", "систем*", "sistem*"),
    "system prompt": (
        "systemprompt*",
        "systeemprompt*",
        "systemeingabeaufforderung*",
        "prompt système",
        "prompt di sistema",
        "prompt del sistema",
        "prompt do sistema",
        "системный промпт*",
        "sistem istem*",
    ),
    "system instructions": ("systemanweisung*", "systeminstruktion*"),
    "system message": ("systemnachricht*",),
    "prompt": ("prompt", "prompts", "eingabeaufforderung*", "промпт*"),
    "message": ("nachricht*", "mensaje*", "messaggio", "mensagem", "сообщени*", "mesaj*"),
    "configuration": (
        "konfiguration*",
        "configurazione",
        "configuración",
        "configuração",
        "конфигураци*",
        "yapılandırma*",
    ),
    "reveal": (
        "verrat*",
        "enthüll*",
        "preisgeb*",
        "révèle*",
        "révéler",
        "divulgu*",
        "rivela*",
        "revela*",
        "revele*",
        "onthul*",
        "раскрой*",
        "раскрыть",
        "ifşa*",
    ),
    "show": (
        "zeig*",
        "montre*",
        "affiche*",
        "mostra*",
        "muestra*",
        "mostrar",
        "mostre",
        "toon",
        "покажи*",
        "göster*",
    ),
    "print": ("drucke", "imprime*", "stampa*", "imprim*", "yazdır*"),
    "output": ("ausgabe*", "ausgeben", "gib aus", "выведи*", "вывести"),
    "repeat": (
        "wiederhol*",
        "répète*",
        "répéte*",
        "ripeti*",
        "repite*",
        "repetir",
        "repit*",
        "herhaal*",
        "повтори*",
        "tekrarla*",
    ),
    "verbatim": (
        "wörtlich*",
        "wortwörtlich*",
        "mot pour mot",
        "textuellement",
        "parola per parola",
        "testualmente",
        "palabra por palabra",
        "textualmente",
        "palavra por palavra",
        "woord voor woord",
        "letterlijk*",
        "дословно",
        "kelimesi kelimesine",
        "aynen",
    ),
    "give": ("gib", "gebt", "donne", "donnez", "dammi", "dame", "geef", "дай", "дайте"),
    "tell": ("sag", "sage", "erzähl*", "dis", "dites", "diga", "vertel*", "скажи*", "расскажи*", "söyle*"),
    "tell me": (
        "sag mir",
        "dis moi",
        "dites moi",
        "dimmi",
        "dime",
        "diga me",
        "me diga",
        "vertel me",
        "скажи мне",
        "bana söyle*",
    ),
    "password": (
        "passwort*",
        "kennwort*",
        "mot de passe",
        "mots de passe",
        "contraseña*",
        "senha*",
        "wachtwoord*",
        "парол*",
        "şifre*",
    ),
    "secret": ("geheim*", "secret*", "secrète*", "segret*", "segredo*", "секрет*", "gizli*"),
    "confidential": (
        "vertraulich*",
        "confidentiel*",
        "riservat*",
        "confidencial*",
        "vertrouwelijk*",
        "конфиденциальн*",
    ),
    "hidden": ("versteckt*", "verborgen*", "caché*", "nascost*", "ocult*", "скрыт*"),
    "key": (
        "schlüssel*",
        "clé",
        "clés",
        "clef",
        "chiave",
        "chiavi",
        "clave",
        "claves",
        "chave*",
        "sleutel*",
        "ключ*",
        "anahtar*",
    ),
    # --- addressing the model: you, now, roles and modes ------------------------------------
    "your": (
        "dein*",
        "eure",
        "euren",
        "ton",
        "ta",
        "tes",
        "votre",
        "vos",
        "tuo",
        "tua",
        "tuoi",
        "tue",
        "tus",
        "teu",
        "teus",
        "tuas",
        "jouw",
        "uw",
        "твой",
        "твои",
        "твоих",
        "твоё",
        "твою",
        "ваш*",
        "свой",
        "свою",
        "свои",
        "senin",
    ),
    "you": ("du", "dich", "toi", "vous", "você", "jij", "ты", "тебя", "тебе", "sen", "seni", "sana"),
    "you are now": (
        "du bist jetzt",
        "du bist nun",
        "tu es maintenant",
        "vous êtes maintenant",
        "tu es désormais",
        "ora sei",
        "adesso sei",
        "ahora eres",
        "agora você é",
        "você agora é",
        "agora és",
        "je bent nu",
        "jij bent nu",
        "u bent nu",
        "теперь ты",
        "ты теперь",
        "artık sen",
        "sen artık",
        "şimdi sen",
    ),
    "now": ("jetzt", "nun", "maintenant", "adesso", "ahora", "agora", "теперь", "сейчас", "şimdi", "artık"),
    "from now on": (
        "ab jetzt",
        "ab sofort",
        "von nun an",
        "fortan",
        "désormais",
        "dorénavant",
        "à partir de maintenant",
        "d ora in poi",
        "da ora in poi",
        "da adesso in poi",
        "d ora in avanti",
        "a partir de ahora",
        "de ahora en adelante",
        "desde ahora",
        "a partir de agora",
        "de agora em diante",
        "daqui em diante",
        "vanaf nu",
        "voortaan",
        "с этого момента",
        "отныне",
        "впредь",
        "bundan sonra",
        "bundan böyle",
        "şu andan itibaren",
    ),
    "act as": (
        "agiere als",
        "handle als",
        "verhalte dich wie",
        "verhalte dich als",
        "agis comme",
        "agissez comme",
        "comporte toi comme",
        "agisci come",
        "comportati come",
        "actúa como",
        "compórtate como",
        "aja como",
        "atue como",
        "gedraag je als",
        "веди себя как",
        "gibi davran*",
    ),
    "pretend": (
        "tu so als",
        "tue so als",
        "fais semblant",
        "faites semblant",
        "fingi",
        "fingete",
        "fai finta",
        "finge",
        "fingir",
        "finja",
        "faça de conta",
        "doe alsof",
        "притворись*",
        "taklit et*",
    ),
    "roleplay": (
        "rollenspiel*",
        "jeu de rôle",
        "gioco di ruolo",
        "juego de rol",
        "rollenspel*",
        "ролев*",
        "rol yap*",
    ),
    "role": ("rolle", "rollen", "rôle", "ruolo", "rol", "роль", "роли"),
    "developer": (
        "entwickler*",
        "développeur*",
        "sviluppator*",
        "desarrollador*",
        "desenvolvedor*",
        "ontwikkelaar*",
        "разработчик*",
        "geliştirici*",
    ),
    "developer mode": (
        "entwicklermodus",
        "mode développeur",
        "modalità sviluppatore",
        "modo desarrollador",
        "modo de desarrollador",
        "modo desenvolvedor",
        "modo de desenvolvedor",
        "ontwikkelaarsmodus",
        "режим разработчика",
        "geliştirici mod*",
    ),
    "debug mode": (
        "debugmodus",
        "mode débogage",
        "modo debug",
        "modalità debug",
        "режим отладки",
        "hata ayıklama mod*",
    ),
    "admin": (
        "administrator*",
        "administrateur*",
        "amministrator*",
        "administrador*",
        "beheerder*",
        "администратор*",
        "админ*",
        "yönetici*",
    ),
    "ai": ("ia", "ии", "yapay zeka*"),
    "assistant": ("assistent*", "assistente", "asistente", "ассистент*", "asistan*"),
    # --- what the model is told to do instead ----------------------------------------------
    "new": (
        "neue",
        "neuen",
        "neuer",
        "neues",
        "nouveau",
        "nouvelle",
        "nouvelles",
        "nuovo",
        "nuova",
        "nuove",
        "nuevo",
        "nueva",
        "nuevas",
        "novo",
        "nova",
        "novas",
        "nieuwe",
        "новая",
        "новые",
        "новое",
        "новый",
        "новую",
        "yeni",
    ),
    "task": (
        "aufgabe*",
        "tâche*",
        "compito",
        "compiti",
        "tarea*",
        "tarefa*",
        "taak",
        "taken",
        "задач*",
        "görev*",
    ),
    "answer": (
        "antworte*",
        "beantworte*",
        "réponds",
        "répondez",
        "rispondi",
        "responde",
        "responda",
        "antwoord",
        "ответь*",
        "cevap ver*",
        "yanıtla*",
    ),
    "obey": (
        "gehorch*",
        "obéis*",
        "obéi",
        "obbedisci",
        "obedece*",
        "obedeça*",
        "gehoorzaam*",
        "подчиняйся*",
        "слушайся*",
        "itaat*",
    ),
    "follow": ("befolg*", "suivez", "segui", "sigue", "siga", "volg", "следуй*"),
    "execute": ("ausführen", "exécute*", "esegui*", "ejecuta*", "execut*", "выполни*", "çalıştır*"),
    "send": ("sende", "schicke", "envoie*", "invia*", "envía*", "envia*", "stuur*", "отправь*", "gönder*"),
    "never": ("niemals", "jamais", "nunca", "jamás", "nooit", "никогда", "asla"),
    "without": ("ohne", "sans", "senza", "sin", "sem", "zonder", "без"),
    "no": (
        "kein*",
        "aucun*",
        "nessun*",
        "ningún",
        "ninguna",
        "ninguno",
        "nenhum*",
        "geen",
        "никаких",
        "hiçbir",
    ),
}

_WORD = re.compile(r"\w+")
_MIN_PREFIX = 3


def _plain(text: str) -> str:
    """Text without accents: attackers (and keyboards) often leave them out."""
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _compile() -> tuple[dict[str, str], dict[str, str], dict[str, list[tuple[tuple[str, ...], str]]]]:
    exact: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    phrases: dict[str, list[tuple[tuple[str, ...], str]]] = {}
    for canonical, forms in LEXICON.items():
        for form in forms:
            for spelling in {form.casefold(), _plain(form.casefold())}:
                words = _WORD.findall(spelling)
                suffix = "*" if spelling.endswith("*") else ""
                if len(words) > 1:
                    key = (*words[1:-1], words[-1] + suffix)
                    phrases.setdefault(words[0], []).append((key, canonical))
                elif suffix:
                    prefixes[words[0]] = canonical
                else:
                    exact[words[0]] = canonical
    for candidates in phrases.values():
        candidates.sort(key=lambda phrase: -len(phrase[0]))
    return exact, prefixes, phrases


_EXACT, _PREFIXES, _PHRASES = _compile()
_LONGEST_PREFIX = max(map(len, _PREFIXES))


@lru_cache(maxsize=8192)
def _canonical_word(word: str) -> str | None:
    """The English word(s) a single word stands for, or None."""
    for spelling in dict.fromkeys((word, _plain(word))):
        if spelling in _EXACT:
            return _EXACT[spelling]
        for end in range(min(len(spelling), _LONGEST_PREFIX), _MIN_PREFIX - 1, -1):
            if spelling[:end] in _PREFIXES:
                return _PREFIXES[spelling[:end]]
    return None


def _matches(pattern: str, word: str) -> bool:
    if pattern.endswith("*"):
        return word.startswith(pattern[:-1]) or _plain(word).startswith(pattern[:-1])
    return pattern in (word, _plain(word))


def canonical_words(words: Sequence[str]) -> list[str] | None:
    """The casefolded words with each lexicon form replaced by its English words, or None when
    no form occurs (the text then gains no features)."""
    canonical: list[str] = []
    mapped = False
    position = 0
    while position < len(words):
        word = words[position]
        for rest, english in _PHRASES.get(word, ()):
            following = words[position + 1 : position + 1 + len(rest)]
            if len(following) == len(rest) and all(map(_matches, rest, following)):
                canonical += english.split()
                position += 1 + len(rest)
                mapped = True
                break
        else:
            english_word = _canonical_word(word)
            canonical += english_word.split() if english_word else [word]
            mapped = mapped or english_word is not None
            position += 1
    return canonical if mapped else None
