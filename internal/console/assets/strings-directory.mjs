// The directory's words in each language the console speaks, keyed like
// the console's catalog (internal/i18n/locales/<lang>/console.json), into
// which they are to move. Terms as the seeds' products use them: Token,
// widerrufen, sperren; Dutch: token, intrekken, blokkeren.

export const STRINGS = {
  en: {
    'directory.title': 'Users',
    'directory.intro': 'Everyone who has created a token, had one created for them, or was changed by an administrator. Search by the start of a name or an email address.',
    'directory.search': 'Name or email starts with',
    'directory.sort': 'Sort by',
    'directory.sort.name': 'Name',
    'directory.sort.email': 'Email',
    'directory.apply': 'Search',
    'directory.col.name': 'Name',
    'directory.col.email': 'Email',
    'directory.col.status': 'Status',
    'directory.col.permissions': 'Permissions',
    'directory.col.tokens': 'Tokens',
    'directory.noName': 'no name',
    'directory.none': 'none',
    'directory.empty': 'No users match.',
    'directory.more': 'Load more',
    'directory.openById': 'Open a user by id',
    'directory.openByIdHint': 'Also someone who has not used the service yet: you can disable them or limit their permissions in advance.',
    'directory.userId': 'User id',
    'directory.open': 'Open',
    'createFor.button': 'Create a token for this user',
    'createFor.title': 'Create a token for',
    'createFor.intro': 'The token belongs to the user and counts against their limit. You see it once, to hand it over; the user gets a mail naming the token and you.',
    'createFor.name': 'Name',
    'createFor.nameHint': 'What the token is for, e.g. “ERP import”.',
    'createFor.description': 'Description',
    'createFor.optional': 'Optional.',
    'createFor.scopes': 'Scopes',
    'createFor.scopesHint': 'Only the permissions this user holds are offered.',
    'createFor.submit': 'Create token',
    'createFor.noScope': 'choose at least one scope',
    'createFor.revealed': 'New token for',
  },
  de: {
    'directory.title': 'Benutzer',
    'directory.intro': 'Alle, die ein Token erstellt haben, für die eines erstellt wurde oder die ein Administrator geändert hat. Suche nach dem Anfang eines Namens oder einer E-Mail-Adresse.',
    'directory.search': 'Name oder E-Mail beginnt mit',
    'directory.sort': 'Sortieren nach',
    'directory.sort.name': 'Name',
    'directory.sort.email': 'E-Mail',
    'directory.apply': 'Suchen',
    'directory.col.name': 'Name',
    'directory.col.email': 'E-Mail',
    'directory.col.status': 'Status',
    'directory.col.permissions': 'Berechtigungen',
    'directory.col.tokens': 'Tokens',
    'directory.noName': 'kein Name',
    'directory.none': 'keine',
    'directory.empty': 'Keine passenden Benutzer.',
    'directory.more': 'Mehr laden',
    'directory.openById': 'Benutzer per ID öffnen',
    'directory.openByIdHint': 'Auch jemand, der den Dienst noch nicht genutzt hat: Sie können ihn vorab sperren oder seine Berechtigungen einschränken.',
    'directory.userId': 'Benutzer-ID',
    'directory.open': 'Öffnen',
    'createFor.button': 'Token für diesen Benutzer erstellen',
    'createFor.title': 'Token erstellen für',
    'createFor.intro': 'Das Token gehört dem Benutzer und zählt gegen dessen Höchstzahl. Sie sehen es einmal, um es zu übergeben; der Benutzer erhält eine E-Mail, die das Token und Sie nennt.',
    'createFor.name': 'Name',
    'createFor.nameHint': 'Wofür das Token ist, z. B. „ERP-Import“.',
    'createFor.description': 'Beschreibung',
    'createFor.optional': 'Optional.',
    'createFor.scopes': 'Berechtigungen des Tokens',
    'createFor.scopesHint': 'Angeboten werden nur Berechtigungen, die dieser Benutzer hat.',
    'createFor.submit': 'Token erstellen',
    'createFor.noScope': 'Wählen Sie mindestens eine Berechtigung',
    'createFor.revealed': 'Neues Token für',
  },
  nl: {
    'directory.title': 'Gebruikers',
    'directory.intro': 'Iedereen die een token heeft aangemaakt, voor wie er een is aangemaakt, of die een beheerder heeft gewijzigd. Zoek op het begin van een naam of e-mailadres.',
    'directory.search': 'Naam of e-mail begint met',
    'directory.sort': 'Sorteren op',
    'directory.sort.name': 'Naam',
    'directory.sort.email': 'E-mail',
    'directory.apply': 'Zoeken',
    'directory.col.name': 'Naam',
    'directory.col.email': 'E-mail',
    'directory.col.status': 'Status',
    'directory.col.permissions': 'Rechten',
    'directory.col.tokens': 'Tokens',
    'directory.noName': 'geen naam',
    'directory.none': 'geen',
    'directory.empty': 'Geen gebruikers gevonden.',
    'directory.more': 'Meer laden',
    'directory.openById': 'Gebruiker openen op id',
    'directory.openByIdHint': 'Ook iemand die de dienst nog niet heeft gebruikt: u kunt die vooraf blokkeren of de rechten beperken.',
    'directory.userId': 'Gebruikers-id',
    'directory.open': 'Openen',
    'createFor.button': 'Token aanmaken voor deze gebruiker',
    'createFor.title': 'Token aanmaken voor',
    'createFor.intro': 'De token is van de gebruiker en telt mee voor diens maximum. U ziet hem één keer, om hem over te dragen; de gebruiker krijgt een e-mail met de token en uw naam.',
    'createFor.name': 'Naam',
    'createFor.nameHint': 'Waarvoor de token is, bijv. „ERP-import”.',
    'createFor.description': 'Omschrijving',
    'createFor.optional': 'Optioneel.',
    'createFor.scopes': 'Rechten van de token',
    'createFor.scopesHint': 'Alleen de rechten die deze gebruiker heeft worden aangeboden.',
    'createFor.submit': 'Token aanmaken',
    'createFor.noScope': 'kies ten minste één recht',
    'createFor.revealed': 'Nieuwe token voor',
  },
};

// lang is the browser's language if the console speaks it, else English.
export function lang(languages = globalThis.navigator?.languages || []) {
  for (const l of languages) {
    const base = String(l).toLowerCase().split('-')[0];
    if (STRINGS[base]) return base;
  }
  return 'en';
}

// t is a directory string in the browser's language (English when a key
// is missing there; the key itself when it is missing everywhere).
export function t(key, language = lang()) {
  return STRINGS[language]?.[key] ?? STRINGS.en[key] ?? key;
}
