/* labml-docs language switcher.
 *
 * A link to the same page in another edition (nav.languages) takes the reader to the section
 * they are at: the fragment of the address if there is one (#section-7), else the section at
 * the top of the window. Sections, and their anchors, are the same in every edition.
 */
(function () {
  'use strict';

  function currentSection() {
    if (location.hash) return location.hash;
    var sections = document.querySelectorAll('.section[id]');
    for (var i = 0; i < sections.length; i++) {
      if (sections[i].getBoundingClientRect().bottom > 0) {
        return i === 0 && window.scrollY === 0 ? '' : '#' + sections[i].id;
      }
    }
    return '';
  }

  document.addEventListener('click', function (event) {
    var link = event.target.closest ? event.target.closest('nav.languages a[href]') : null;
    if (!link) return;
    link.setAttribute('href', link.getAttribute('href').split('#')[0] + currentSection());
  });
})();
